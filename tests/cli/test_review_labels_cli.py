"""Reviewers' stored labels flow into agreement, calibrate, cost, next, export and the report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import tutorloop
from tutorloop.bundled import bundled_sessions
from tutorloop.cli.app import app
from tutorloop.present import ReportOptions, build_report
from tutorloop.records import LabelInput
from tutorloop.run import RunConfig
from tutorloop.store import Store

RUN = "labelled"


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A graded run of the bundled sessions, labelled by two reviewers on a few checks."""
    path = tmp_path_factory.mktemp("review") / "tutorloop.db"
    tutorloop.grade(bundled_sessions(), run=RunConfig(run_id=RUN, store_path=path))
    with Store.open(path) as store:
        results = {key: result for key, result in store.iter_results(RUN) if result}
        labels = []
        for key, result in sorted(results.items())[:8]:
            check = result.checks[0]
            truth = "pass" if check.passed else "fail"
            labels.append(LabelInput(run_id=RUN, item_key=key, dimension=check.name, value=truth))
            escalate = "yes" if result.escalate else "no"
            labels.append(
                LabelInput(run_id=RUN, item_key=key, dimension="escalate", value=escalate)
            )
        store.labels.add(labels, rater="alice", actor="alice")
        store.labels.add(labels[:6], rater="bob", actor="bob")
    return path


def invoke(*args: str) -> str:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_agreement_reads_the_stored_labels_of_the_run(store_path: Path) -> None:
    out = invoke("agreement", "--run", RUN, "--store", str(store_path), "--resamples", "0",
                 "--json")  # fmt: skip
    scores = json.loads(out)
    assert {s["dimension"] for s in scores} >= {"escalate"}
    escalate = next(s for s in scores if s["dimension"] == "escalate")
    assert escalate["n"] == 8 and escalate["accuracy"] == 1.0  # the labels copy the verdicts
    table = invoke("agreement", "--run", RUN, "--store", str(store_path), "--resamples", "0")
    assert "alice" in table and "bob" in table, "two reviewers on one item: inter-rater agreement"


def test_cost_and_next_use_the_stored_labels(store_path: Path, tmp_path: Path) -> None:
    cost = invoke("cost", "--run", RUN, "--store", str(store_path), "--json")
    assert json.loads(cost), "the escalation policy is priced against the reviewers' labels"
    out = tmp_path / "next.jsonl"
    ranked = invoke("next", "--run", RUN, "--store", str(store_path), "--out", str(out), "--json")
    done = {(x["item_id"], x["dimension"]) for x in json.loads(ranked)["items"]}
    with Store.open(store_path) as store:
        labelled = {(x.item_id, x.dimension) for x in store.labels.current(RUN)}
    assert not done & labelled, "next never asks again for a label already given"


def test_labels_export_writes_a_label_file_agreement_reads(
    store_path: Path, tmp_path: Path
) -> None:
    out = tmp_path / "labels.jsonl"
    invoke("labels", "export", "--run", RUN, "--store", str(store_path), "--out", str(out))
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 16 + 6 and {x["rater"] for x in lines} == {"alice", "bob"}
    again = invoke("agreement", "--labels", str(out), "--run", RUN, "--store", str(store_path),
                   "--resamples", "0", "--json")  # fmt: skip
    assert json.loads(again)


def test_exported_turn_labels_carry_the_dialogue_and_the_turn(tmp_path: Path) -> None:
    path = tmp_path / "tutorloop.db"
    tutorloop.grade(bundled_sessions(), run=RunConfig(run_id="turns", store_path=path))
    with Store.open(path) as store:
        key, result = next((k, r) for k, r in store.iter_results("turns") if r is not None)
    session = json.loads((bundled_sessions() / f"{result.session_id}.json").read_text("utf-8"))
    roles = [t["role"] for t in session["trajectory"]]
    turn = roles.index("assistant", 1)  # a tutor turn after the learner spoke
    with Store.open(path) as store:
        store.labels.add(
            [
                LabelInput(
                    run_id="turns",
                    item_key=key,
                    dimension="Providing_Guidance",
                    turn=turn,
                    value="Yes",
                )
            ],
            rater="alice",
            actor="alice",
        )
    out = tmp_path / "labels.jsonl"
    invoke("labels", "export", "--run", "turns", "--store", str(path), "--out", str(out))
    (line,) = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert line["item_id"] == f"{result.session_id}/turn-{turn}"
    assert line["item"]["response"] == session["trajectory"][turn]["content"]
    assert session["trajectory"][turn - 1]["content"] in line["item"]["history"]


def test_the_report_shows_agreement_with_the_reviewers_labels(store_path: Path) -> None:
    html = build_report(RUN, ReportOptions(store_path=store_path))
    assert "Agreement with people" in html
    assert (
        f"reviewers&#39; labels of run {RUN}" in html or f"reviewers' labels of run {RUN}" in html
    )


def test_without_labels_anywhere_the_command_says_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "tutorloop.db"
    tutorloop.grade(bundled_sessions(), run=RunConfig(run_id="bare", store_path=path))
    result = CliRunner().invoke(
        app, ["agreement", "--run", "bare", "--store", str(path)], env={"COLUMNS": "300"}
    )
    assert result.exit_code == 2
    assert "/review" in result.output and "--labels" in result.output
