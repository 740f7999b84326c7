"""The Evals API's tables on the store's connection: an output item goes with its run item."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tutorloop.errors import StoreError
from tutorloop.records import Grade, RunManifest
from tutorloop.store import ItemOutcome, Store

MakeOutcome = Callable[..., ItemOutcome]


def api_run(run_id: str = "run-1", eval_id: str = "eval_1") -> dict[str, Any]:
    return {"id": run_id, "eval_id": eval_id, "status": "in_progress", "created_at": 1}


def output_item(index: int, run_id: str = "run-1", status: str = "pass") -> dict[str, Any]:
    return {
        "object": "eval.run.output_item",
        "id": f"outputitem_{run_id}_{index}",
        "run_id": run_id,
        "datasource_item_id": index,
        "status": status,
    }


def started(store: Store, make_manifest: Callable[..., RunManifest]) -> None:
    store.evals_api.put_run(api_run())
    store.start_run(make_manifest())


def _count(store: Store, table: str) -> int:
    return int(store._conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def test_output_items_and_run_items_are_written_together_once(
    store: Store, make_manifest: Callable[..., RunManifest], make_outcome: MakeOutcome
) -> None:
    started(store, make_manifest)
    tables = store.evals_api
    batch = [(output_item(i), make_outcome(f"item-{i}")) for i in range(3)]
    assert tables.write_output_items("run-1", batch) == 3
    assert tables.write_output_items("run-1", batch) == 0  # a resumed batch stores nothing twice
    assert tables.done_items("run-1") == {0, 1, 2}
    assert tables.has_output_item("run-1", 2) and not tables.has_output_item("run-1", 3)
    assert store.done_keys("run-1") == {"item-0", "item-1", "item-2"}
    assert [o["datasource_item_id"] for o in tables.iter_output_items("run-1")] == [0, 1, 2]
    assert _count(store, "grades") == 3


def test_a_failing_run_item_keeps_its_output_item_out_too(
    store: Store, make_manifest: Callable[..., RunManifest], make_outcome: MakeOutcome
) -> None:
    started(store, make_manifest)
    good = (output_item(0), make_outcome("item-0"))
    wrong = make_outcome("item-1")
    stray = Grade(run_id="run-1", item_key="elsewhere", grader="g", grader_version="1")
    wrong = ItemOutcome(**{**wrong.__dict__, "grades": [stray]})
    with pytest.raises(StoreError, match="elsewhere"):
        store.evals_api.write_output_items("run-1", [good, (output_item(1), wrong)])
    assert store.evals_api.done_items("run-1") == set()
    assert store.done_keys("run-1") == set()


def test_without_tutorloops_run_nothing_is_stored(store: Store, make_outcome: MakeOutcome) -> None:
    store.evals_api.put_run(api_run())
    with pytest.raises(StoreError, match="no tutorloop run 'run-1'"):
        store.evals_api.write_output_items("run-1", [(output_item(0), make_outcome("item-0"))])
    assert store.evals_api.done_items("run-1") == set()


def test_a_deleted_api_run_gets_no_items(
    store: Store, make_manifest: Callable[..., RunManifest], make_outcome: MakeOutcome
) -> None:
    started(store, make_manifest)
    assert store.evals_api.delete_run("run-1")
    assert store.evals_api.write_output_items("run-1", [(output_item(0), make_outcome("a"))]) == 0
    assert _count(store, "api_output_items") == 0 and store.done_keys("run-1") == set()


def test_an_output_item_of_another_run_is_refused(
    store: Store, make_manifest: Callable[..., RunManifest], make_outcome: MakeOutcome
) -> None:
    started(store, make_manifest)
    with pytest.raises(StoreError, match="belongs to run 'run-2'"):
        store.evals_api.write_output_items(
            "run-1", [(output_item(0, run_id="run-2"), make_outcome("item-0"))]
        )


def test_objects_pages_and_deletes(store: Store) -> None:
    tables = store.evals_api
    tables.put_file({"id": "file_1", "created_at": 1}, b"data")
    assert tables.file_content("file_1") == b"data" and tables.get_file("file_1") is not None
    for i in range(3):
        tables.put_eval({"id": f"eval_{i}", "created_at": i})
        tables.put_run(api_run(f"run_{i}", eval_id="eval_0"))
    first, more = tables.page("evals", after=None, limit=2, order="asc")
    assert [e["id"] for e in first] == ["eval_0", "eval_1"] and more
    rest, more = tables.page("evals", after="eval_1", limit=2, order="asc")
    assert [e["id"] for e in rest] == ["eval_2"] and not more
    assert tables.unfinished_runs() == ["run_0", "run_1", "run_2"]
    assert tables.delete_eval("eval_0")
    assert tables.unfinished_runs() == [] and tables.get_eval("eval_0") is None
    assert tables.delete_file("file_1") and not tables.delete_file("file_1")


def test_threads_share_the_one_connection(
    store: Store, make_manifest: Callable[..., RunManifest], make_outcome: MakeOutcome
) -> None:
    started(store, make_manifest)
    errors: list[BaseException] = []

    def writer(start: int) -> None:
        try:
            for i in range(start, start + 50):
                store.evals_api.write_output_items(
                    "run-1", [(output_item(i), make_outcome(f"item-{i}"))]
                )
                store.count_items("run-1")
                list(store.iter_items("run-1", batch_size=7))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n * 50,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert store.evals_api.done_items("run-1") == set(range(200))
    assert store.count_items("run-1").items == 200


_CHILD = textwrap.dedent(
    """
    import os, signal, sys

    from tutorloop.records import EvalCheck, EvalResult, Grade, RunManifest
    from tutorloop.store import ItemOutcome, Store
    import tutorloop.store._rows as rows

    def pair(index):
        key = f"item-{index}"
        result = EvalResult(session_id=key, pedagogical_fidelity_score=1.0, escalate=False,
                            checks=[EvalCheck(name="c", passed=True)])
        grade = Grade(run_id="run-1", item_key=key, grader="g", grader_version="1")
        entry = {"id": f"outputitem_{index}", "run_id": "run-1", "datasource_item_id": index,
                 "status": "pass"}
        return entry, ItemOutcome(key, key, None, None, None, result, [grade])

    real = rows.grade_rows

    def die_on_item_4(run_id, outcome):
        if outcome.item_key == "item-4":  # items 2 and 3 are in, uncommitted, on both sides
            os.kill(os.getpid(), signal.SIGKILL)
        return real(run_id, outcome)

    rows.grade_rows = die_on_item_4
    store = Store.open(sys.argv[1])
    store.evals_api.put_run({"id": "run-1", "eval_id": "e", "status": "in_progress",
                             "created_at": 1})
    store.start_run(RunManifest(run_id="run-1", created_at="2025-01-01T00:00:00",
                                package_version="0"))
    store.evals_api.write_output_items("run-1", [pair(0), pair(1)])
    store.evals_api.write_output_items("run-1", [pair(2), pair(3), pair(4)])
    """
)


@pytest.mark.e2e
@pytest.mark.skipif(os.name == "nt", reason="needs SIGKILL")
def test_kill_9_inside_the_transaction_keeps_both_sides_equal(tmp_path: Path) -> None:
    path = tmp_path / "tutorloop.db"
    child = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path)], capture_output=True, text=True, timeout=60
    )
    assert child.returncode == -signal.SIGKILL, child.stderr
    with Store.open(path) as store:
        assert store.evals_api.done_items("run-1") == {0, 1}
        assert store.done_keys("run-1") == {"item-0", "item-1"}


def test_updates_keep_list_places_and_evals_list_by_last_change(store: Store) -> None:
    tables = store.evals_api
    for n in range(3):
        tables.put_eval({"id": f"eval_{n}", "created_at": n, "name": str(n)})
        tables.put_run({**api_run(f"run-{n}"), "created_at": n})
    tables.put_eval({"id": "eval_0", "created_at": 0, "name": "changed"})
    tables.put_run({**api_run("run-0"), "status": "completed"})
    evals, _ = tables.page("evals", after=None, limit=10, order="asc")
    assert [e["id"] for e in evals] == ["eval_0", "eval_1", "eval_2"]
    runs, _ = tables.page("runs", after=None, limit=10, order="asc")
    assert [r["id"] for r in runs] == ["run-0", "run-1", "run-2"]
    by_change, more = tables.page(
        "evals", after="eval_1", limit=1, order="asc", order_by="updated_at"
    )
    assert [e["id"] for e in by_change] == ["eval_2"] and more
    assert (
        tables.page("runs", after=None, limit=10, order="asc", status="completed")[0][0]["id"]
        == "run-0"
    )


def test_an_unknown_after_is_an_error_not_the_first_page(store: Store) -> None:
    tables = store.evals_api
    tables.put_eval({"id": "eval_1", "created_at": 1})
    tables.put_file({"id": "file_1", "created_at": 1, "purpose": "evals"}, b"{}")
    with pytest.raises(LookupError, match="eval_unknown"):
        tables.page("evals", after="eval_unknown", limit=10, order="asc")
    with pytest.raises(LookupError, match="file_unknown"):
        tables.file_page(after="file_unknown", limit=10, order="desc")
    with pytest.raises(LookupError, match="outputitem_unknown"):
        tables.output_item_page("run-1", after="outputitem_unknown", limit=10, order="asc",
                                status=None)  # fmt: skip
    assert tables.file_page(after=None, limit=10, order="desc", purpose="evals")[0][0]["id"] == (
        "file_1"
    )
    assert tables.file_page(after=None, limit=10, order="desc", purpose="batch") == ([], False)
