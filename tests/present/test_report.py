"""The HTML report of a replayed, graded run (offline simulators, no browser)."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest
import typer
from markupsafe import escape
from typer.testing import CliRunner

from tutorloop.bundled import bundled_graders, bundled_session_labels, bundled_sessions
from tutorloop.errors import ConfigError, StoreError
from tutorloop.present.report import ReportOptions, build_report, label_sections, write_report
from tutorloop.present.report.highlight import Span, segments
from tutorloop.run import (
    GradeConfig,
    ModelGrading,
    ReplayConfig,
    RunConfig,
    grade_paths,
    grade_run,
    replay_paths,
)
from tutorloop.store import Store

PLANTED = "<script>alert(1)</script>"
SECTIONS = ("headline", "gates", "checks", "fidelity", "dashboard", "failures", "graders", "ab",
            "queue")  # fmt: skip


def make_replay_run(root: Path, planted: str = PLANTED, run_id: str = "R") -> Path:
    """Replay 3 bundled sessions (human, base, overlay) with simulators, grade; return the store.

    ``planted`` is put into the first tutor turn of the first session.
    """
    data = root / "in"
    data.mkdir(parents=True)
    for i, path in enumerate(sorted(bundled_sessions().glob("*.json"))[:3]):
        session = json.loads(path.read_text(encoding="utf-8"))
        if i == 0:
            turn = next(t for t in session["trajectory"] if t["role"] == "assistant")
            turn["content"] = f"{turn['content']} {planted}"
        (data / path.name).write_text(json.dumps(session), encoding="utf-8")
    store = root / "tutorloop.db"
    options = RunConfig(run_id=run_id, store_path=store)
    for config in (
        ReplayConfig(model="sim/base", conditions=["human", "base"], out_dir=root / "artifacts"),
        ReplayConfig(model="sim/study", conditions=["overlay"], out_dir=root / "artifacts"),
    ):
        replay_paths([data], config, options=options)
    models = ModelGrading(
        graders_path=bundled_graders(), grader_model="sim/study", judge_model="sim/study"
    )
    grade_run(run_id, GradeConfig(), options, None, models)
    return store


@pytest.fixture(scope="module")
def run_store(tmp_path_factory) -> Path:
    return make_replay_run(tmp_path_factory.mktemp("report"))


@pytest.fixture(scope="module")
def html(run_store) -> str:
    return build_report("R", ReportOptions(store_path=run_store))


def test_every_section_is_there(html):
    for anchor in SECTIONS:
        assert f'<section id="{anchor}">' in html, anchor
    assert "Release gates" in html and "overlay_fidelity_ok" in html
    assert "PASS" in html
    for condition in ("human", "base", "overlay"):
        assert f'cond-{condition}">{condition}</span>' in html
    assert "McNemar" in html and "95% CI" in html
    assert "% diagnosis first" in html and "questions per tutor turn" in html
    assert "Answer Accuracy" in html  # a testing-criteria grader of the bundled eval


def test_a_planted_script_shows_as_text_and_never_as_a_tag(html):
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html.lower()
    assert "alert(1)</script>" not in html


def test_failed_checks_have_their_evidence_highlighted(html, run_store):
    marks = re.findall(r"<mark[^>]*>(.*?)</mark>", html, flags=re.S)
    assert marks
    with Store.open(run_store) as store:
        quoted = {
            e.text[:30]
            for item in store.iter_items("R")
            if item.result and item.result.escalate
            for c in item.result.checks
            if not c.passed
            for e in c.evidence
        }
    shown = "".join(marks)
    assert quoted and all(str(escape(q)) in shown for q in quoted)


def test_replayed_sessions_show_original_and_regenerated_side_by_side(html):
    assert "original (logged)" in html and "regenerated (base)" in html
    assert html.count('<details class="session') >= 3
    assert "Turns: replay in run R." in html


def test_the_queue_is_capped_and_says_how_many_were_left_out(run_store):
    with Store.open(run_store) as store:
        escalated = store.count_items("R").escalated
    assert escalated > 2
    capped = build_report("R", ReportOptions(store_path=run_store, max_sessions=2))
    assert capped.count('<details class="session') == 2
    assert f"Showing the 2 most severe of {escalated} escalated sessions" in capped
    assert f"{escalated - 2} left out" in capped
    none = build_report("R", ReportOptions(store_path=run_store, max_sessions=0))
    assert '<details class="session' not in none and f"{escalated} left out" in none


def test_nothing_is_fetched_from_the_network(html):
    assert not re.search(r"""(?:src|href|action|poster|srcset)\s*=\s*["']?\s*(?:[a-z]+:)?//""",
                         html, flags=re.I)  # fmt: skip
    assert not re.search(r"url\(\s*['\"]?\s*(?:[a-z]+:)?//", html, flags=re.I)
    assert "@import" not in html
    assert "<link" not in html.lower() and "<img" not in html.lower()
    assert "<iframe" not in html.lower()
    assert all(h.startswith("#") for h in re.findall(r'href="([^"]*)"', html))


def test_charts_are_inline_svg(html):
    svgs = re.findall(r"<svg\b[^>]*>", html)
    assert len(svgs) >= 6
    assert "<foreignObject" not in html and "xlink:href" not in html


def test_label_sections_show_nothing_without_labels(run_store, html):
    with Store.open(run_store) as store:
        assert label_sections(store, "R") == []
    assert '<section id="agreement">' not in html and '<section id="cost">' not in html
    assert "with people" not in html and "learning curve" not in html.lower()


def test_the_judge_section_shows_each_judged_session_beside_the_heuristics(html, run_store):
    section = html[html.index('<section id="judge">') : html.index("</section>", html.index(
        '<section id="judge">'))]  # fmt: skip
    with Store.open(run_store) as store:
        results = [r for _, r in store.iter_results("R") if r is not None]
    judged = [r for r in results if r.judge is not None]
    assert judged and "Wilson" in section
    for result in judged:
        assert result.session_id in section
    decided = sum(bool(r.judge.decided) for r in judged)
    assert f"judge-decided&#34; ({decided})" in section or f'judge-decided" ({decided})' in section
    assert "heuristics" in section and "decided by" in section


def test_labels_add_agreement_and_cost_sections(tmp_path):
    store = tmp_path / "tutorloop.db"
    grade_paths([bundled_sessions()], options=RunConfig(run_id="L", store_path=store))
    html = build_report("L", ReportOptions(store_path=store, labels_path=bundled_session_labels()))
    agreement = html[html.index('<section id="agreement">') :]
    assert "Agreement with author labels" in agreement  # never shown as agreement with people
    assert "Cohen" in agreement and "escalate" in agreement and "<svg" in agreement
    cost = html[html.index('<section id="cost">') :]
    assert "review nothing" in cost and "<svg" in cost


def test_compare_with_another_run(run_store):
    # the logged sessions graded as they are, as another run of the same store
    grade_paths([run_store.parent / "in"], options=RunConfig(run_id="G2", store_path=run_store))
    html = build_report("R", ReportOptions(store_path=run_store, compare="G2"))
    assert "Run G2 (A) vs this run (B)" in html
    section = html[html.index("Run G2 (A) vs this run (B)") :]
    assert "paired sessions" in section and "McNemar p" in section
    with pytest.raises(StoreError):
        build_report("R", ReportOptions(store_path=run_store, compare="nope"))


def test_a_run_graded_from_files_reads_its_sessions_back(tmp_path):
    data = tmp_path / "s.jsonl"
    lines = [json.loads(p.read_text(encoding="utf-8")) for p in
             sorted(bundled_sessions().glob("*.json"))[:4]]  # fmt: skip
    data.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    store = tmp_path / "tutorloop.db"
    grade_paths([data], options=RunConfig(run_id="F", store_path=store))
    html = build_report("F", ReportOptions(store_path=store))
    assert '<details class="session' in html  # the chatbots session has a safety slip
    assert "Turns: kept in the store with run F&#39;s grades." in html
    assert re.search(r"<mark[^>]*>I&#39;m a real human</mark>", html)
    data.unlink()
    kept = build_report("F", ReportOptions(store_path=store))  # the file is gone, not the turns
    assert "Turns: kept in the store" in kept and "could not be read back" not in kept
    with sqlite3.connect(store) as conn:  # a store written before escalated records were kept
        conn.execute("DELETE FROM item_records")
    data.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    html = build_report("F", ReportOptions(store_path=store))
    assert f"Turns: read back from {data}:1." in html
    assert re.search(r"<mark[^>]*>I&#39;m a real human</mark>", html)
    data.unlink()
    gone = build_report("F", ReportOptions(store_path=store))
    assert "read back from" not in gone and "could not be read back" in gone


def test_only_escalated_sessions_keep_their_record_and_replays_keep_none(tmp_path, run_store):
    data = tmp_path / "s.jsonl"
    lines = [json.loads(p.read_text(encoding="utf-8")) for p in
             sorted(bundled_sessions().glob("*.json"))]  # fmt: skip
    data.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    store = tmp_path / "tutorloop.db"
    grade_paths([data], options=RunConfig(run_id="F", store_path=store))
    with Store.open(store) as opened:
        keys = [i.item_key for i in opened.iter_items("F")]
        escalated = {i.item_key for i in opened.iter_items("F", escalated_only=True)}
        kept = opened.item_records("F", keys)
    assert escalated and set(kept) == escalated
    assert all(kept[k].session_id == k for k in kept)
    with Store.open(run_store) as opened:  # a replay run: its replays hold the turns already
        assert opened.item_records("R", [i.item_key for i in opened.iter_items("R")]) == {}


def test_write_report_is_atomic_and_validates_its_arguments(tmp_path, run_store):
    out = tmp_path / "deep" / "report.html"
    assert write_report("R", out, ReportOptions(store_path=run_store, max_sessions=1)) == out
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in out.parent.iterdir()] == ["report.html"]
    with pytest.raises(ConfigError):
        build_report("R", ReportOptions(store_path=run_store, max_sessions=-1))
    with pytest.raises(StoreError):
        build_report("missing", ReportOptions(store_path=run_store))


def test_highlight_segments_overlap_and_relocation():
    text = "abcdefghij"
    parts = segments(text, [Span("x", 2, 6, "cdef"), Span("y", 4, 8, "efgh")])
    assert "".join(p.text for p in parts) == text
    assert [(p.text, p.checks, p.ends) for p in parts] == [
        ("ab", (), ()), ("cd", ("x",), ()), ("ef", ("x", "y"), ("x",)),
        ("gh", ("y",), ("y",)), ("ij", (), ()),
    ]  # fmt: skip
    moved = segments("zz" + text, [Span("x", 2, 6, "cdef")])
    assert [p.text for p in moved if p.marked] == ["cdef"]
    assert not any(p.marked for p in segments(text, [Span("x", 0, 3, "not there")]))


def test_the_command_writes_the_report_and_prints_its_path(tmp_path, run_store):
    from tutorloop.cli import report_cmd
    from tutorloop.cli.app import console, err

    app = typer.Typer()

    @app.callback()
    def _root() -> None: ...

    report_cmd.register(app, console, err)
    out = tmp_path / "r.html"
    result = CliRunner().invoke(
        app, ["report", "R", "--store", str(run_store), "-o", str(out), "--max-sessions", "3"]
    )
    assert result.exit_code == 0, result.output
    assert str(out) in result.output
    assert out.read_text(encoding="utf-8").count('<details class="session') == 3


def test_the_queue_is_grouped_by_cause_and_shows_titles(html, run_store):
    causes = re.findall(r'<h3 class="cause">([^<]+)<', html)
    assert causes and len(causes) == len(set(causes))
    titles = re.findall(r'<span class="title">([^<]*)</span>', html)
    with Store.open(run_store) as store:
        keys = {i.item_key for i in store.iter_items("R", escalated_only=True)}
    assert len(titles) == len(keys)
    assert all(t.strip() and t not in keys for t in titles)  # an opening line, not the key


def test_charts_are_drawn_at_the_card_width(html):
    from tutorloop.present.report.charts import CARD_WIDTH

    widths = re.findall(r'<svg role="img"[^>]*?\swidth="(\d+)"', html)
    assert widths and {int(w) for w in widths} == {CARD_WIDTH}


def test_persona_is_a_dimension_where_the_run_varies_it(tmp_path, html):
    assert "Pass rate by learner persona" not in html  # run R has no personas
    data = tmp_path / "in"
    data.mkdir()
    for path in sorted(bundled_sessions().glob("*.json"))[:2]:
        (data / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    store = tmp_path / "tutorloop.db"
    options = RunConfig(run_id="P", store_path=store)
    replay = ReplayConfig(
        model="sim/study", conditions=["overlay"], mode="free_running",
        personas=["answer_seeker", "timeboxed"], out_dir=tmp_path / "artifacts",
    )  # fmt: skip
    replay_paths([data], replay, options=options)
    grade_run("P", GradeConfig(), options, None, None)
    report = build_report("P", ReportOptions(store_path=store))
    assert "Pass rate by learner persona" in report
    section = report[report.index("Pass rate by learner persona") :]
    assert "answer_seeker" in section and "timeboxed" in section
