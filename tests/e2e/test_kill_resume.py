"""A grading run killed with kill -9 resumes with every item graded exactly once."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tutorloop.bundled import write_synthetic_jsonl
from tutorloop.records import (
    OVER_SCAFFOLDING_CHECK,
    PROGRESS_CHECK,
    SAFETY_CHECK,
    STUDY_MODE_CHECKS,
)

pytestmark = pytest.mark.e2e

N = 12_000


def stored(db: Path, sql: str) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return int(conn.execute(sql).fetchone()[0])
    except sqlite3.OperationalError:
        return 0


def grade(data: Path, db: Path, log: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "tutorloop", "grade", str(data), "--run-id", "R1"]
    command += ["--store", str(db), "--json"]
    with log.open("wb") as out:
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)


def test_kill_minus_nine_then_resume(tmp_path):
    data = write_synthetic_jsonl(tmp_path / "sessions.jsonl", N)
    db = tmp_path / "store.db"
    first = grade(data, db, tmp_path / "first.log")
    deadline = time.monotonic() + 120
    while stored(db, "SELECT COUNT(*) FROM items") < 500:
        assert first.poll() is None, (tmp_path / "first.log").read_text()
        assert time.monotonic() < deadline, "the run never stored anything"
        time.sleep(0.05)
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    assert first.returncode == -signal.SIGKILL
    partial = stored(db, "SELECT COUNT(*) FROM items")
    assert 0 < partial < N, "kill came too late to test a resume"

    second = grade(data, db, tmp_path / "second.log")
    second.wait(timeout=300)
    out = (tmp_path / "second.log").read_bytes()
    assert second.returncode == 0, out.decode()
    assert stored(db, "SELECT COUNT(*) FROM items") == N
    assert stored(db, "SELECT COUNT(DISTINCT item_key) FROM items") == N
    # the seven Study Mode checks, then over-scaffolding, progress and safety
    checks = (*STUDY_MODE_CHECKS, OVER_SCAFFOLDING_CHECK, PROGRESS_CHECK, SAFETY_CHECK)
    assert stored(db, "SELECT COUNT(*) FROM grades") == N * len(checks)
    per_item = f"SELECT item_key FROM grades GROUP BY item_key HAVING COUNT(*) != {len(checks)}"
    assert stored(db, f"SELECT COUNT(*) FROM ({per_item})") == 0
    assert stored(db, "SELECT COUNT(*) FROM items WHERE result_json IS NULL") == 0
    assert b'"status": "completed"' in out
