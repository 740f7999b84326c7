"""``tutorloop cache stats|clear`` and ``--cache-scope`` as a user runs them."""

import json
import os
import subprocess
import sys
from pathlib import Path

from tutorloop.bundled import bundled_sessions
from tutorloop.generate import CallLedger, GenerateResponse


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "TUTORLOOP_HOME": str(cwd / "home")}
    return subprocess.run(
        [sys.executable, "-m", "tutorloop", *args],
        cwd=cwd, capture_output=True, text=True, timeout=180, env=env,
    )  # fmt: skip


def test_stats_then_clear(tmp_path):
    empty = run("cache", "stats", cwd=tmp_path)
    assert empty.returncode == 0 and "no cache yet" in empty.stdout
    ledger = CallLedger(tmp_path / "home" / "calls.db")
    try:
        answer = GenerateResponse(text="an answer", model="m")
        ledger.put(["cache:a", "run:r1:a"], answer)
        ledger.put(["cache:b", "judge:m:p:i"], answer)
    finally:
        ledger.close()
    stats = run("cache", "stats", "--json", cwd=tmp_path)
    assert stats.returncode == 0, stats.stderr
    kinds = json.loads(stats.stdout)["kinds"]
    assert {k: v["entries"] for k, v in kinds.items()} == {"cache": 2, "judge": 1, "run": 1}
    assert kinds["cache"]["expired"] == 0
    shown = run("cache", "stats", cwd=tmp_path)
    assert "expiry 30 days" in shown.stdout and "cache 2 entries, 0 expired" in shown.stdout
    nothing = run("cache", "clear", "--expired", "--json", cwd=tmp_path)
    assert json.loads(nothing.stdout)["deleted"] == {"cache": 0, "judge": 0}
    cleared = run("cache", "clear", cwd=tmp_path)
    assert cleared.returncode == 0 and "deleted 2 cache, 1 judge" in cleared.stdout
    everything = run("cache", "clear", "--kind", "all", "--json", cwd=tmp_path)
    assert json.loads(everything.stdout)["deleted"] == {"cache": 0, "judge": 0, "run": 1}
    bad = run("cache", "clear", "--kind", "cahce", cwd=tmp_path)
    assert bad.returncode == 2 and "unknown kind cahce" in bad.stderr


def test_cache_scope_is_an_option_of_the_commands_that_call_models(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    first = sorted(bundled_sessions().glob("*.json"))[0]
    (folder / first.name).write_bytes(first.read_bytes())
    done = run("replay", str(folder), "--model", "sim/base", "--condition", "base",
               "--cache-scope", "run", "--json", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["replayed"] == 1
    bad = run("replay", str(folder), "--model", "sim/base", "--cache-scope", "everywhere",
              cwd=tmp_path)  # fmt: skip
    assert bad.returncode == 2 and "--cache-scope" in bad.stderr
    helped = run("grade", "--help", cwd=tmp_path)
    assert "--cache-scope" in helped.stdout
