"""A replay killed with kill -9 resumes without repeating a paid call or losing one."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tutorloop.bundled import bundled_sessions

pytestmark = pytest.mark.e2e

CONCURRENCY = 4


def stored_artifacts(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM artifacts").fetchone()[0])
    except sqlite3.OperationalError:
        return 0


def replay(server, store: Path, log: Path) -> subprocess.Popen:
    command = [
        sys.executable, "-m", "tutorloop", "replay", str(bundled_sessions()),
        "--model", "openai/test-model", "--base-url", server.base_url,
        "--condition", "base,overlay", "--concurrency", str(CONCURRENCY),
        "--no-cache", "--run-id", "R", "--store", str(store), "--json",
    ]  # fmt: skip
    env = {**os.environ, "OPENAI_API_KEY": server.api_key}
    with log.open("wb") as out:
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)


def test_kill_minus_nine_during_replay_then_resume(openai_wire, tmp_path):
    openai_wire.state.latency_s = 0.05
    store = tmp_path / "store.db"
    first = replay(openai_wire, store, tmp_path / "first.log")
    deadline = time.monotonic() + 120
    while stored_artifacts(store) < 8:
        assert first.poll() is None, (tmp_path / "first.log").read_text()
        assert time.monotonic() < deadline, "the replay never stored an artifact"
        time.sleep(0.02)
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    before_resume = openai_wire.state.requests
    partial = stored_artifacts(store)
    sessions = len(list(bundled_sessions().glob("*.json")))
    assert partial < 2 * sessions, "kill came too late to test a resume"

    second = replay(openai_wire, store, tmp_path / "second.log")
    assert second.wait(timeout=300) == 0, (tmp_path / "second.log").read_text()
    report = json.loads((tmp_path / "second.log").read_text())
    assert report["replayed"] + partial == 2 * sessions and report["errored"] == 0
    assert stored_artifacts(store) == 2 * sessions

    bodies = [json.dumps(e["body"], sort_keys=True) for e in openai_wire.state.log]
    distinct = len(set(bodies))
    repeated = len(bodies) - distinct
    # only calls in flight at the kill may be made again: never more than the concurrency
    assert repeated <= CONCURRENCY, f"{repeated} paid calls were repeated"
    # nothing lost: every call the finished replays needed was made
    needed = sum(
        2 * sum(1 for t in json.loads(p.read_text())["trajectory"] if t["role"] == "user")
        for p in bundled_sessions().glob("*.json")
    )
    assert distinct == needed
    # the resumed run paid only for calls the first one had not finished
    assert report["calls"]["paid"] <= needed - (before_resume - CONCURRENCY)
