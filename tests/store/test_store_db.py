from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from tutorloop.errors import ConfigError, StoreError
from tutorloop.records import EvalResult, RunCounts, RunManifest
from tutorloop.store import ItemOutcome, Store, default_store_path

MakeOutcome = Callable[..., ItemOutcome]


def _rows(store: Store, table: str) -> int:
    return int(store._conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


# opening


def test_default_path_uses_tutorloop_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUTORLOOP_HOME", str(tmp_path / "home"))
    assert default_store_path() == tmp_path / "home" / "tutorloop.db"
    with Store.open() as store:
        assert store.path == tmp_path / "home" / "tutorloop.db"
    assert store.path.is_file()


def test_default_path_without_home_is_under_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TUTORLOOP_HOME", raising=False)
    monkeypatch.chdir(tmp_path)
    with Store.open() as store:
        assert store.path == tmp_path / ".tutorloop" / "tutorloop.db"
        assert store.path.is_file()


def test_garbage_file_is_a_store_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "tutorloop.db"
    path.write_bytes(b"this is not sqlite, just some text that is long enough " * 20)
    with pytest.raises(StoreError) as info:
        Store.open(path)
    assert str(path) in info.value.message
    assert "not an SQLite database" in info.value.message


def test_directory_path_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="directory"):
        Store.open(tmp_path)


def test_closed_store_gives_store_error(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "x.db")
    store.close()
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.list_runs()


# runs


def test_start_get_finish_and_resume(
    store: Store, make_manifest: Callable[..., RunManifest], make_outcome: MakeOutcome
) -> None:
    started = store.start_run(make_manifest("run-1"))
    assert started.status == "running"
    assert store.get_run("run-1") == started
    assert store.write_outcomes("run-1", [make_outcome("a"), make_outcome("b")]) == 2
    finished = store.finish_run("run-1", "interrupted", store.count_items("run-1"), "T1")
    assert finished.status == "interrupted"
    assert finished.finished_at == "T1"
    assert finished.counts.done == 2
    assert store.get_run("run-1") == finished

    # a second start with a different manifest resumes the stored one
    resumed = store.start_run(make_manifest("run-1", created_at="2030-01-01T00:00:00+00:00"))
    assert resumed.status == "running"
    assert resumed.created_at == started.created_at
    assert resumed.finished_at is None
    assert resumed.counts.done == 2
    assert store.done_keys("run-1") == {"a", "b"}
    assert store._conn.execute("SELECT status FROM runs").fetchone()[0] == "running"


def test_list_runs_newest_first_and_update(
    store: Store, make_manifest: Callable[..., RunManifest]
) -> None:
    store.start_run(make_manifest("old", created_at="2025-01-01T00:00:00+00:00"))
    store.start_run(make_manifest("new", created_at="2025-02-01T00:00:00+00:00"))
    store.start_run(make_manifest("mid", created_at="2025-01-15T00:00:00+00:00"))
    assert [m.run_id for m in store.list_runs()] == ["new", "mid", "old"]
    changed = store.get_run("mid").model_copy(update={"cost_usd": 1.5, "status": "failed"})
    store.update_manifest(changed)
    assert store.get_run("mid") == changed
    assert store._conn.execute("SELECT status FROM runs WHERE run_id = 'mid'").fetchone()[0] == (
        "failed"
    )


def test_unknown_run_lists_known_ids(
    store: Store, make_manifest: Callable[..., RunManifest], make_outcome: MakeOutcome
) -> None:
    with pytest.raises(StoreError, match="no runs"):
        store.get_run("nope")
    for i in range(7):
        store.start_run(make_manifest(f"r{i}", created_at=f"2025-01-0{i + 1}T00:00:00+00:00"))
    with pytest.raises(StoreError) as info:
        store.get_run("nope")
    message = info.value.message
    assert "'nope'" in message
    assert "r6, r5, r4, r3, r2, …" in message
    with pytest.raises(StoreError, match="nope"):
        store.update_manifest(make_manifest("nope"))
    with pytest.raises(StoreError, match="nope"):
        store.finish_run("nope", "completed", RunCounts(), "T")
    with pytest.raises(StoreError, match="nope"):
        store.write_outcomes("nope", [make_outcome("a", run_id="nope")])


# items and grades


def test_write_outcomes_is_idempotent(
    store: Store, make_manifest: Callable[..., RunManifest], make_outcome: MakeOutcome
) -> None:
    store.start_run(make_manifest())
    graders = ("g1", "g2")
    batch = [make_outcome(k, graders=graders) for k in ("a", "b", "c")]
    assert store.write_outcomes("run-1", batch) == 3
    assert store.write_outcomes("run-1", batch) == 0
    overlapping = [make_outcome(k, graders=graders) for k in ("c", "d", "d")]
    assert store.write_outcomes("run-1", overlapping) == 1
    assert _rows(store, "items") == 4
    assert _rows(store, "grades") == 8
    seqs = [row[0] for row in store._conn.execute("SELECT seq FROM items ORDER BY seq")]
    assert seqs == [1, 2, 3, 4]
    assert store.write_outcomes("run-1", []) == 0


def test_bad_grade_rolls_back_the_whole_batch(
    store: Store, make_manifest: Callable[..., RunManifest], make_outcome: MakeOutcome
) -> None:
    store.start_run(make_manifest())
    twice = make_outcome("b", graders=("g", "g"))
    with pytest.raises(StoreError, match="two grades"):
        store.write_outcomes("run-1", [make_outcome("a"), twice])
    wrong = make_outcome("c", run_id="other-run")
    with pytest.raises(StoreError, match="other-run"):
        store.write_outcomes("run-1", [make_outcome("a"), wrong])
    assert _rows(store, "items") == 0
    assert _rows(store, "grades") == 0
    assert store.write_outcomes("run-1", [make_outcome("a")]) == 1


def test_outcome_needs_result_or_error(make_outcome: MakeOutcome) -> None:
    with pytest.raises(ValueError, match="neither"):
        make_outcome("a", with_result=False)
    assert make_outcome("a", with_result=False, error=("T", "m")).status == "error"


def test_resume_grades_only_the_rest(
    store: Store, make_manifest: Callable[..., RunManifest], make_outcome: MakeOutcome
) -> None:
    keys = [f"k{i}" for i in range(10)]
    store.start_run(make_manifest())
    store.write_outcomes("run-1", [make_outcome(k) for k in keys[:4]])
    # the process dies here; a new one resumes
    store.start_run(make_manifest())
    done = store.done_keys("run-1")
    assert done == set(keys[:4])
    todo = [k for k in keys if k not in done]
    assert store.write_outcomes("run-1", [make_outcome(k) for k in todo]) == 6
    assert [item.item_key for item in store.iter_items("run-1")] == keys
    assert store.count_items("run-1") == RunCounts(items=10, done=10, errored=0, escalated=0)


def test_count_items(
    store: Store, make_manifest: Callable[..., RunManifest], make_outcome: MakeOutcome
) -> None:
    assert store.count_items("run-1") == RunCounts()
    store.start_run(make_manifest())
    store.write_outcomes(
        "run-1",
        [
            make_outcome("a", escalate=True),
            make_outcome("b"),
            make_outcome("c", with_result=False, error=("TimeoutError", "judge timed out")),
            make_outcome("d", escalate=True, error=("KeyError", "partial")),
        ],
    )
    assert store.count_items("run-1") == RunCounts(items=4, done=2, errored=2, escalated=2)


def test_iter_items_streams_in_order(
    store: Store, make_manifest: Callable[..., RunManifest], make_outcome: MakeOutcome
) -> None:
    store.start_run(make_manifest())
    outcomes = [make_outcome(f"k{i:02}", fidelity=i / 10) for i in range(7)]
    outcomes.append(make_outcome("err", with_result=False, error=("Boom", "it broke")))
    store.write_outcomes("run-1", outcomes[:3])
    store.write_outcomes("run-1", outcomes[3:])
    items = list(store.iter_items("run-1", batch_size=2))
    assert [i.item_key for i in items] == [o.item_key for o in outcomes]
    assert [i.seq for i in items] == list(range(1, 9))
    first = items[0]
    assert isinstance(first.result, EvalResult)
    assert first.result == outcomes[0].result
    assert (first.session_id, first.condition, first.domain) == ("s-k00", "overlay", "math")
    assert first.source == "sessions.jsonl"
    assert first.status == "done"
    assert first.error is None
    last = items[-1]
    assert last.result is None
    assert last.status == "error"
    assert (last.error_type, last.error_message) == ("Boom", "it broke")
    assert last.error is not None and last.error.message == "it broke"
    assert list(store.iter_items("other")) == []
    with pytest.raises(ConfigError, match="batch_size"):
        store.iter_items("run-1", batch_size=0)


def test_condition_and_domain_fall_back_to_the_result(
    store: Store, make_manifest: Callable[..., RunManifest], make_outcome: MakeOutcome
) -> None:
    store.start_run(make_manifest())
    base = make_outcome("a", condition=None)
    assert base.result is not None
    result = base.result.model_copy(update={"condition": "base", "domain": "ai"})
    outcome = ItemOutcome("a", "s-a", None, None, None, result, [])
    store.write_outcomes("run-1", [outcome])
    item = next(store.iter_items("run-1"))
    assert (item.condition, item.domain) == ("base", "ai")


def test_iter_grades(
    store: Store, make_manifest: Callable[..., RunManifest], make_outcome: MakeOutcome
) -> None:
    store.start_run(make_manifest())
    outcomes = [make_outcome(k, graders=("z", "a")) for k in ("k2", "k1")]
    store.write_outcomes("run-1", outcomes)
    grades = list(store.iter_grades("run-1", batch_size=1))
    assert [(g.item_key, g.grader) for g in grades] == [
        ("k2", "a"),
        ("k2", "z"),
        ("k1", "a"),
        ("k1", "z"),
    ]
    assert grades[1] == outcomes[0].grades[0]
    row = store._conn.execute(
        "SELECT passed, verdict, score, source FROM grades WHERE item_key = 'k1' AND grader = 'a'"
    ).fetchone()
    assert row == (1, "pass", 1.0, "heuristic")


def test_items_row_copies_query_columns(
    store: Store, make_manifest: Callable[..., RunManifest], make_outcome: MakeOutcome
) -> None:
    store.start_run(make_manifest())
    store.write_outcomes("run-1", [make_outcome("a", fidelity=0.25, escalate=True, failures=["f"])])
    row = store._conn.execute(
        "SELECT status, fidelity, escalate, severity, graded_at FROM items"
    ).fetchone()
    assert row[:4] == ("done", 0.25, 1, "high")
    assert row[4]


def test_abandoned_transaction_loses_nothing_committed(
    store: Store, make_manifest: Callable[..., RunManifest], make_outcome: MakeOutcome
) -> None:
    store.start_run(make_manifest())
    store.write_outcomes("run-1", [make_outcome("a"), make_outcome("b")])

    other = sqlite3.connect(store.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute(
        "INSERT INTO items (run_id, item_key, status, seq) VALUES ('run-1', 'ghost', 'done', 99)"
    )
    other.execute("DELETE FROM items WHERE item_key = 'a'")
    other.close()  # dies without COMMIT

    store.close()
    with Store.open(store.path) as reopened:
        assert reopened.done_keys("run-1") == {"a", "b"}
        assert _rows(reopened, "grades") == 2
        assert reopened.write_outcomes("run-1", [make_outcome("c")]) == 1  # lock was released
        check = reopened._conn.execute("PRAGMA integrity_check").fetchone()[0]
        assert check == "ok"


def test_unreadable_stored_records_are_store_errors(
    store: Store, make_manifest: Callable[..., RunManifest], make_outcome: MakeOutcome
) -> None:
    store.start_run(make_manifest())
    store.write_outcomes("run-1", [make_outcome("a")])
    store._conn.execute("UPDATE items SET result_json = '{\"schema_version\": 99}'")
    item = next(store.iter_items("run-1"))
    with pytest.raises(StoreError, match=r"item .a.*upgrade tutorloop"):
        _ = item.result
    store._conn.execute("UPDATE runs SET manifest_json = '{\"schema_version\": 99}'")
    with pytest.raises(StoreError, match="manifest of run 'run-1'"):
        store.get_run("run-1")
