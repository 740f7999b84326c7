"""Replay on Ray: the call ledger survives kill -9, and the call budget holds cluster-wide."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tutorloop.bundled import synthetic_session
from tutorloop.engines import RayOptions, ray_replay_paths
from tutorloop.generate import CallPolicy, ProviderSettings
from tutorloop.run import ReplayConfig, RunConfig
from tutorloop.store import Store

from .marks import RAY_TEST_MARKS

pytestmark = RAY_TEST_MARKS

CONCURRENCY = 4
SESSIONS = 40
TURNS = 6  # three learner turns: three calls per session and condition


def sessions(path: Path) -> Path:
    with path.open("w", encoding="utf-8") as out:
        for i in range(SESSIONS):
            session = synthetic_session(i, turns=TURNS)
            session["trajectory"][0]["content"] += f" (learner {i})"  # every request differs
            out.write(json.dumps(session) + "\n")
    return path


def replay(address: str, server, inputs: Path, store: Path, log: Path) -> subprocess.Popen:
    command = [
        sys.executable, "-m", "tutorloop", "replay", str(inputs),
        "--engine", "ray", "--ray-address", address, "--ray-actors", "2",
        "--model", "openai/test-model", "--base-url", server.base_url,
        "--condition", "base,overlay", "--concurrency", str(CONCURRENCY),
        "--no-cache", "--run-id", "R", "--store", str(store), "--json",
    ]  # fmt: skip
    env = {**os.environ, "OPENAI_API_KEY": server.api_key}
    with log.open("wb") as out:
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)


def test_kill_minus_nine_mid_replay_then_resume_repeats_only_calls_in_flight(
    ray_address, openai_wire, tmp_path
):
    openai_wire.state.latency_s = 0.1
    inputs, store = sessions(tmp_path / "s.jsonl"), tmp_path / "store.db"
    needed = SESSIONS * 2 * (TURNS // 2)
    first = replay(ray_address, openai_wire, inputs, store, tmp_path / "first.log")
    deadline = time.monotonic() + 180
    while openai_wire.state.requests < needed // 4:
        assert first.poll() is None, (tmp_path / "first.log").read_text()
        assert time.monotonic() < deadline, "the replay never called the server"
        time.sleep(0.01)
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    time.sleep(2)  # the cluster notices the driver is gone and ends its actors
    before_resume = openai_wire.state.requests
    assert before_resume < needed, "kill came too late to test a resume"

    second = replay(ray_address, openai_wire, inputs, store, tmp_path / "second.log")
    assert second.wait(timeout=300) == 0, (tmp_path / "second.log").read_text()
    log = (tmp_path / "second.log").read_text()
    report = json.loads(log[log.index("{\n") :])
    assert report["replayed"] == 2 * SESSIONS and report["errored"] == 0

    bodies = [json.dumps(e["body"], sort_keys=True) for e in openai_wire.state.log]
    distinct = len(set(bodies))
    repeated = len(bodies) - distinct
    assert distinct == needed  # nothing lost
    # only calls in flight at the kill are paid for again: never more than the budget
    assert repeated <= CONCURRENCY, f"{repeated} paid calls were repeated"
    with Store.open(store) as opened:
        assert opened.count_artifacts("R").done == 2 * SESSIONS


def test_budget_holds_across_actors(ray_address, openai_wire, tmp_path):
    openai_wire.state.latency_s = 0.05
    inputs = sessions(tmp_path / "s.jsonl")
    os.environ.setdefault("OPENAI_API_KEY", openai_wire.api_key)
    report = ray_replay_paths(
        [inputs],
        ReplayConfig(model="openai/test-model", conditions=["base", "overlay"]),
        CallPolicy(concurrency=CONCURRENCY, cache=False),
        ProviderSettings(base_url=openai_wire.base_url),
        RunConfig(run_id="B", store_path=tmp_path / "store.db"),
        RayOptions(actors=3, batch_size=4),
    )
    assert report.replayed == 2 * SESSIONS and report.errored == 0
    assert report.manifest.config["actors"] == 3
    assert openai_wire.state.requests == SESSIONS * 2 * (TURNS // 2)
    # 3 actors × floor(4 / 3) = 3 calls in flight at most, whatever the scheduling
    assert 1 <= openai_wire.state.peak_in_flight <= 3


def test_a_bad_row_becomes_an_error_row(ray_address, openai_wire, tmp_path):
    inputs = sessions(tmp_path / "s.jsonl")
    first = inputs.read_text(encoding="utf-8").splitlines(keepends=True)[0]
    with inputs.open("a", encoding="utf-8") as out:
        out.write("{not json\n")
        out.write(first)  # a duplicate session: reported, stored once
    os.environ.setdefault("OPENAI_API_KEY", openai_wire.api_key)
    openai_wire.state.required_key = "another-key"  # every call is refused: 401, not retried
    report = ray_replay_paths(
        [inputs],
        ReplayConfig(model="openai/test-model", conditions=["human", "base"]),
        CallPolicy(concurrency=2, cache=False, max_retries=0),
        ProviderSettings(base_url=openai_wire.base_url),
        RunConfig(run_id="E", store_path=tmp_path / "store.db"),
        RayOptions(actors=2, batch_size=8),
    )
    assert report.replayed == SESSIONS  # the human condition needs no call
    assert report.errored == SESSIONS
    assert all("401" in e or "key" in e.lower() for e in report.errors)
    assert [p.line for p in report.problems if "invalid JSON" in p.message] == [SESSIONS + 1]
    duplicates = [p for p in report.problems if "duplicate" in p.message]
    assert len(duplicates) == 2 and all(p.path.endswith(f":{SESSIONS + 2}") for p in duplicates)
