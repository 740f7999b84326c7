"""A writer killed with SIGKILL mid-batch loses only that batch; nothing is stored twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from tutorloop.records import RunCounts
from tutorloop.store import ItemOutcome, Store

MakeOutcome = Callable[..., ItemOutcome]

_CHILD = textwrap.dedent(
    """
    import os, signal, sys

    from tutorloop.records import EvalCheck, EvalResult, Grade, RunManifest
    from tutorloop.store import ItemOutcome, Store
    import tutorloop.store._rows as rows

    def outcome(key):
        result = EvalResult(
            session_id=key,
            pedagogical_fidelity_score=0.5,
            escalate=False,
            checks=[EvalCheck(name="diagnosis_first", passed=False)],
        )
        grade = Grade(run_id="run-1", item_key=key, grader="g", grader_version="1")
        return ItemOutcome(key, key, None, None, None, result, [grade])

    real = rows.grade_rows

    def die_on_b2(run_id, item):
        if item.item_key == "b2":  # b0 and b1 are already inserted, uncommitted
            os.kill(os.getpid(), signal.SIGKILL)
        return real(run_id, item)

    rows.grade_rows = die_on_b2
    store = Store.open(sys.argv[1])
    store.start_run(
        RunManifest(run_id="run-1", created_at="2025-01-01T00:00:00", package_version="0")
    )
    store.write_outcomes("run-1", [outcome(f"a{i}") for i in range(3)])
    store.write_outcomes("run-1", [outcome(f"b{i}") for i in range(3)])
    """
)


@pytest.mark.e2e
@pytest.mark.skipif(os.name == "nt", reason="needs SIGKILL")
def test_kill_9_mid_batch(tmp_path: Path, make_outcome: MakeOutcome) -> None:
    path = tmp_path / "tutorloop.db"
    child = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path)], capture_output=True, text=True, timeout=60
    )
    assert child.returncode == -signal.SIGKILL, child.stderr

    with Store.open(path) as store:
        assert store._conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert store.done_keys("run-1") == {"a0", "a1", "a2"}
        resumed = store.start_run(store.get_run("run-1"))
        assert resumed.status == "running"
        todo = [
            k for k in ("a0", "a1", "a2", "b0", "b1", "b2") if k not in store.done_keys("run-1")
        ]
        assert store.write_outcomes("run-1", [make_outcome(k) for k in todo]) == 3
        assert store.count_items("run-1") == RunCounts(items=6, done=6)
        grades = store._conn.execute("SELECT COUNT(*) FROM grades").fetchone()[0]
        assert grades == 3 + 3  # child's a* grades + one grader per resumed item
