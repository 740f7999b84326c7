"""A check's grade row: queryable columns in ``grades``, the check itself only in the result."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from tutorloop.bundled import bundled_sessions
from tutorloop.errors import StoreError
from tutorloop.load import iter_items
from tutorloop.records import EvalCheck, Evidence, RunManifest
from tutorloop.run import SessionGrader
from tutorloop.store import ItemOutcome, Store, encode_outcome

MakeOutcome = Callable[..., ItemOutcome]


def _grade_rows(path: Path) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(
            "SELECT item_key, grader, grader_version, passed, verdict, score, source, grade_json "
            "FROM grades ORDER BY rowid"
        ).fetchall()
    finally:
        conn.close()


def test_graded_sessions_read_back_the_grades_each_check_makes(
    store: Store, make_manifest: Callable[..., RunManifest]
) -> None:
    store.start_run(make_manifest())
    grader = SessionGrader()
    items = list(iter_items([bundled_sessions()]))
    outcomes = [grader.outcome("run-1", item) for item in items]
    encoded = [encode_outcome("run-1", o) for o in outcomes[::2]]
    assert store.write_outcomes("run-1", [*encoded, *outcomes[1::2]]) == len(items)
    by_key = {o.item_key: o for o in outcomes}
    got = list(store.iter_grades("run-1", batch_size=3))
    want = [
        grade
        for item in store.iter_items("run-1")
        for grade in sorted(
            grader.grades("run-1", item.item_key, by_key[item.item_key].result),
            key=lambda g: g.grader,
        )
    ]
    assert got == want
    rows = _grade_rows(store.path)
    assert len(rows) == len(want)
    assert {row[-1] for row in rows} == {""}  # each check's JSON is in its item's result alone
    assert {row[2] for row in rows} == {grader.heuristics.version}


def test_a_check_version_of_its_own_and_its_evidence_survive(
    store: Store, make_manifest: Callable[..., RunManifest], make_outcome: MakeOutcome
) -> None:
    store.start_run(make_manifest())
    base = make_outcome("a", graders=("criteria.x",))
    assert base.result is not None
    span = Evidence(turn=1, start=0, end=4, text="What")
    checks = [
        EvalCheck(name="asks", passed=True, reason="asked", evidence=[span], confidence=0.8),
        EvalCheck(name="waits", passed=False, verdict="unsure", grader_version="own-2"),
    ]
    outcome = replace(
        base, result=base.result.model_copy(update={"checks": checks}), check_version="h-1"
    )
    store.write_outcomes("run-1", [outcome])
    grades = {g.grader: g for g in store.iter_grades("run-1")}
    assert set(grades) == {"criteria.x", "study_mode.asks", "study_mode.waits"}
    asks, waits = grades["study_mode.asks"], grades["study_mode.waits"]
    assert (asks.grader_version, asks.score, asks.passed) == ("h-1", 1.0, True)
    assert asks.verdict == "pass"
    assert (asks.reason, asks.evidence, asks.confidence) == ("asked", [span], 0.8)
    assert (waits.grader_version, waits.score, waits.verdict) == ("own-2", 0.0, "unsure")
    assert grades["criteria.x"].grader_version == "1"  # a grader's own row keeps its JSON


def test_a_check_named_like_a_grade_is_refused(
    store: Store, make_manifest: Callable[..., RunManifest], make_outcome: MakeOutcome
) -> None:
    store.start_run(make_manifest())
    outcome = replace(make_outcome("a", graders=("study_mode.one_question",)), check_version="")
    with pytest.raises(StoreError, match="two grades"):
        store.write_outcomes("run-1", [outcome])
    with pytest.raises(StoreError, match="two grades"):
        encode_outcome("run-1", outcome)


def test_an_outcome_encoded_for_another_run_is_refused(
    store: Store, make_manifest: Callable[..., RunManifest], make_outcome: MakeOutcome
) -> None:
    store.start_run(make_manifest())
    good = encode_outcome("run-1", make_outcome("a"))
    other = encode_outcome("run-2", make_outcome("b", run_id="run-2"))
    with pytest.raises(StoreError, match="encoded for run 'run-2'"):
        store.write_outcomes("run-1", [good, other])
    assert store.count_items("run-1").items == 0


def test_a_key_twice_in_one_batch_is_stored_once(
    store: Store, make_manifest: Callable[..., RunManifest], make_outcome: MakeOutcome
) -> None:
    store.start_run(make_manifest())
    first = make_outcome("a", fidelity=0.25)
    assert store.write_outcomes("run-1", [first, make_outcome("a", fidelity=0.75)]) == 1
    (item,) = store.iter_items("run-1")
    assert item.result is not None and item.result.pedagogical_fidelity_score == 0.25
    assert len(list(store.iter_grades("run-1"))) == 1


def test_a_check_row_whose_result_is_gone_is_a_store_error(
    store: Store, make_manifest: Callable[..., RunManifest], make_outcome: MakeOutcome
) -> None:
    store.start_run(make_manifest())
    store.write_outcomes("run-1", [replace(make_outcome("a", graders=()), check_version="")])
    with store._db.write("test") as conn:
        conn.execute("UPDATE items SET result_json = '{\"checks\": []}'")
    with pytest.raises(StoreError, match="stored grade of item 'a' cannot be read"):
        list(store.iter_grades("run-1"))
