"""An alignment run killed with kill -9 resumes with every key exactly once, everywhere."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.align.wire import MODELS, responder
from tutorloop.align import bundled_align_dataset
from tutorloop.records import AlignRow

pytestmark = pytest.mark.e2e

CONCURRENCY = 4


def partial_lines(path: Path) -> int:
    if not path.exists():
        return 0
    return path.read_bytes().count(b"\n")


def align(server, cwd: Path, log: Path) -> subprocess.Popen[bytes]:
    command = [
        sys.executable, "-m", "tutorloop", "align", "run", "--models", MODELS,
        "--judge-model", "openai/judge", "--base-url", server.base_url,
        "--concurrency", str(CONCURRENCY), "--rate-limit-rps", "0", "--run-id", "K", "--json",
    ]  # fmt: skip
    env = {**os.environ, "OPENAI_API_KEY": server.api_key}
    with log.open("wb") as out, log.with_suffix(".err").open("wb") as err:
        return subprocess.Popen(command, cwd=cwd, stdout=out, stderr=err, env=env)


def test_kill_minus_nine_mid_run_then_resume_with_the_same_run_id(openai_wire, tmp_path):
    openai_wire.state.responder = responder()
    openai_wire.state.latency_s = 0.01
    run_dir = tmp_path / "results" / "K"
    first = align(openai_wire, tmp_path, tmp_path / "first.json")
    deadline = time.monotonic() + 120
    while partial_lines(run_dir / "partials.jsonl") < 60:
        assert first.poll() is None, (tmp_path / "first.err").read_text()
        assert time.monotonic() < deadline, "the run never wrote a row"
        time.sleep(0.01)
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    items = sum(1 for line in bundled_align_dataset().read_text().splitlines() if line.strip())
    total = items * 16 * 3
    written = partial_lines(run_dir / "partials.jsonl")
    assert written < total, "kill came too late to test a resume"

    second = align(openai_wire, tmp_path, tmp_path / "second.json")
    assert second.wait(timeout=280) == 0, (tmp_path / "second.err").read_text()
    report = json.loads((tmp_path / "second.json").read_text())
    assert report["resumed"] + report["written"] == total

    lines = (run_dir / "partials.jsonl").read_text(encoding="utf-8").splitlines()
    partial = [AlignRow.model_validate_json(line).key for line in lines]
    final = [f"{r['test_id']}|{r['persona_slug']}|{r['model_slug']}"
             for r in pq.read_table(run_dir / "results.parquet").to_pylist()]  # fmt: skip
    with sqlite3.connect(run_dir / "state.sqlite") as conn:
        done = [k for (k,) in conn.execute("SELECT key FROM done")]
    for keys in (partial, final, done):
        assert len(keys) == len(set(keys)) == total
    assert set(partial) == set(final) == set(done)

    bodies = [json.dumps(e["body"], sort_keys=True) for e in openai_wire.state.log]
    repeated = len(bodies) - len(set(bodies))
    # the judge check is made by both invocations; otherwise only calls in flight at the kill
    assert repeated <= 1 + CONCURRENCY, f"{repeated} paid calls were repeated"
    assert len(set(bodies)) == 1 + 2 * total  # nothing lost: every call was made
