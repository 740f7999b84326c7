"""The verbs from Python, as a notebook uses them: paths or records in, run objects out."""

import asyncio
import json

import pyarrow.parquet as pq
import pytest

import tutorloop
from tutorloop import (
    AlignConfig,
    ConfigError,
    GradeRun,
    ModelGrading,
    ReplayConfig,
    ReportOptions,
    RunConfig,
    Session,
    StoreError,
)
from tutorloop.align import bundled_align_dataset
from tutorloop.bundled import bundled_graders

SESSIONS = tutorloop.bundled_sessions()
COUNT = len(list(SESSIONS.glob("*.json")))


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A fresh default store, and a working folder, for each test."""
    monkeypatch.setenv("TUTORLOOP_HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def sessions() -> list[Session]:
    return [item.record for item in tutorloop.iter_items([SESSIONS])][:4]


def test_grade_paths_returns_the_run_with_its_summary_results_and_exports(home):
    run = tutorloop.grade(SESSIONS, run=RunConfig(run_id="g1"))
    assert isinstance(run, GradeRun) and run.run_id == "g1"
    assert run.manifest.status == "completed" and run.manifest.counts.done == COUNT
    assert run.summary.items == COUNT and 0 < run.summary.fidelity_mean < 1
    assert len(run.results) == COUNT
    assert {r.session_id for r in run.results} == {r.session_id for r in run.summary.sessions}
    escalated = [r for r in run.results if r.escalate]
    assert len(escalated) == run.summary.escalated and escalated[0].escalation_reasons
    table = run.to_arrow()
    assert table.num_rows == COUNT and "check.diagnosis_first" in table.column_names
    written = run.to_parquet(home / "exports" / "g1.parquet")
    assert pq.read_table(written).equals(table)
    assert not list((home / "exports").glob(".tutorloop-*"))  # no temporary folder left behind
    assert run.store_path == home / "home" / "tutorloop.db"
    assert "g1" in repr(run) and f"{COUNT} graded" in repr(run)


def test_records_in_memory_are_graded_and_kept_beside_the_store(home, sessions):
    run = tutorloop.grade(sessions[1], run=RunConfig(run_id="one"))
    assert [r.session_id for r in run.results] == [sessions[1].session_id]
    mixed = tutorloop.grade([SESSIONS / "math.fractions.add.101.json", *sessions[:2]])
    assert sorted(r.session_id for r in mixed.results) == sorted(
        ["math.fractions.add.101", *(s.session_id for s in sessions[:2])]
    )
    kept = home / "home" / "inputs" / f"{mixed.run_id}.jsonl"
    assert [json.loads(line)["session_id"] for line in kept.read_text().splitlines()] == [
        s.session_id for s in sessions[:2]
    ]
    assert str(kept) in mixed.manifest.inputs
    html = tutorloop.report(mixed)  # the escalated chatbots session, kept with its grades
    assert sessions[0].session_id == "ai.literacy.chatbots.106"
    assert f"Turns: kept in the store with run {mixed.run_id}&#39;s grades." in html


def test_a_grade_run_resumes_and_reopens(home):
    first = tutorloop.grade(SESSIONS, run=RunConfig(run_id="r"))
    again = tutorloop.grade(first)
    assert again.run_id == "r" and again.report.resumed_items == COUNT
    assert again.report.new_items == 0
    opened = GradeRun.open("r")
    assert opened.summary == first.summary
    with pytest.raises(StoreError, match="nope"):
        GradeRun.open("nope")


def test_bad_inputs_are_named_and_the_rest_is_graded(home):
    (home / "bad.json").write_text('{"session_id": 1}', encoding="utf-8")
    run = tutorloop.grade([home / "bad.json", SESSIONS / "math.fractions.add.101.json"])
    assert len(run.results) == 1
    assert run.problems and all(p.path.endswith("bad.json") for p in run.problems)
    assert {p.field for p in run.problems} >= {"session_id", "domain", "trajectory"}


def test_wrong_inputs_fail_before_any_work(home):
    with pytest.raises(ConfigError, match="no input"):
        tutorloop.grade([])
    with pytest.raises(ConfigError, match="input 1 is a dict"):
        tutorloop.grade([SESSIONS, {"session_id": "x"}])  # type: ignore[list-item]
    with pytest.raises(ConfigError, match="in-memory store"):
        tutorloop.grade(SESSIONS, run=RunConfig(store_path=":memory:"))
    run = tutorloop.grade(SESSIONS / "math.fractions.add.101.json")
    with pytest.raises(ConfigError, match="graded in place"):
        tutorloop.grade(run, run=RunConfig(run_id="other"))


def test_replay_then_grade_in_place_then_compare_and_report(home, sessions):
    config = ReplayConfig(model="sim/study", conditions=["human", "base", "overlay"])
    replayed = tutorloop.replay(sessions, config, run=RunConfig(run_id="rp"))
    assert replayed.run_id == "rp" and replayed.summary.replayed == 3 * len(sessions)
    assert len(replayed.results) == 3 * len(sessions)
    assert {a.regeneration_meta.condition for a in replayed.results} == {
        "human",
        "base",
        "overlay",
    }
    rows = replayed.to_arrow()
    assert rows.num_rows == 3 * len(sessions) and set(rows.column("status").to_pylist()) == {"done"}
    assert pq.read_table(replayed.to_parquet(home / "replays.parquet")).equals(rows)

    graded = tutorloop.grade(replayed)
    assert graded.run_id == "rp" and set(graded.summary.conditions) == {"human", "base", "overlay"}
    comparison = tutorloop.compare(graded)
    assert comparison.pairs == len(sessions) and comparison.label_b == "rp:overlay"
    human = tutorloop.compare(graded, conditions=("human", "overlay"))
    assert human.label_a == "rp:human"
    other = tutorloop.grade(sessions)
    assert tutorloop.compare(other, graded).pairs == len(sessions)
    assert tutorloop.compare("rp", conditions=("base", "overlay")).pairs == len(sessions)
    with pytest.raises(ConfigError, match="not both"):
        tutorloop.compare(graded, other, conditions=("base", "overlay"))

    path = tutorloop.report(graded, home / "report.html")
    assert path == home / "report.html" and "<svg" in path.read_text(encoding="utf-8")
    html = tutorloop.report("rp", options=ReportOptions(max_sessions=1))
    assert html.startswith("<!DOCTYPE html>") or html.lstrip().lower().startswith("<!doctype")


def test_every_verb_runs_inside_a_running_event_loop(home, sessions):
    """A Jupyter cell runs inside an event loop: the sync verbs must work there too."""

    async def cell():
        graded = tutorloop.grade(sessions)
        replayed = tutorloop.replay(sessions[:1], ReplayConfig(conditions=["overlay"]))
        regraded = tutorloop.grade(replayed)
        return (
            graded.summary.items,
            regraded.summary.items,
            tutorloop.compare(graded, regraded).pairs,
            len(tutorloop.report(graded)) > 1000,
        )

    assert asyncio.run(cell()) == (len(sessions), 1, 1, True)


def test_the_async_twins(home, sessions):
    async def flow():
        replayed = await tutorloop.replay_async(sessions, ReplayConfig(conditions=["overlay"]))
        graded = await tutorloop.grade_async(replayed)
        plain = await tutorloop.grade_async(sessions)
        comparison = await tutorloop.compare_async(plain, graded)
        html = await tutorloop.report_async(graded)
        path = await tutorloop.report_async(graded, home / "r.html")
        return graded.summary.items, comparison.pairs, "<svg" in html, path.exists()

    assert asyncio.run(flow()) == (len(sessions), len(sessions), True, True)


def test_model_graders_inside_a_running_event_loop(home, sessions):
    """``grade_paths`` with model graders calls ``anyio.run`` inside; a notebook cell too."""
    models = ModelGrading(graders_path=bundled_graders(), grader_model="sim/study")

    async def cell():
        run = tutorloop.grade(sessions[:2], models=models)
        direct = tutorloop.grade_paths([SESSIONS / "math.fractions.add.101.json"], models=models)
        return run, direct

    run, direct = asyncio.run(cell())
    assert run.summary.graders and all(r.graders for r in run.results)
    assert direct.manifest.counts.done == 1 and not direct.problems


def test_align_run_and_its_results(home):
    config = AlignConfig(
        dataset=bundled_align_dataset(),
        models=["sim/base", "sim/study"],
        personas=["docente_paciente"],
        judge_model="sim/base",
        output_dir=home / "align",
        run_id="a1",
    )

    async def cell():
        return tutorloop.align_run(config)

    run = asyncio.run(cell())
    assert run.run_id == "a1" and run.report.errored == 0
    assert run.summary.rows == run.report.total == len(run.results)
    assert {row.model_slug for row in run.results} == {"sim/base", "sim/study"}
    assert run.manifest.run_id == "a1"
    assert run.to_arrow().num_rows == run.report.total
    assert pq.read_table(run.to_parquet(home / "a1.parquet")).num_rows == run.report.total
    again = asyncio.run(tutorloop.align_run_async(config))
    assert again.report.resumed == run.report.total and again.report.written == 0
