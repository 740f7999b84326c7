"""An API key never reaches logs, artifacts, the store, exports, errors or --json output."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from tests.openai_wire.server import Fault
from tutorloop.bundled import bundled_sessions

pytestmark = pytest.mark.e2e


def run(args: list[str], cwd: Path, key: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "OPENAI_API_KEY": key, "TUTORLOOP_HOME": str(cwd / "home")}
    return subprocess.run(
        [sys.executable, "-m", "tutorloop", *args],
        cwd=cwd,
        capture_output=True,
        timeout=120,
        env=env,
    )


def test_a_canary_key_is_written_nowhere(openai_wire, tmp_path):
    canary = "sk-canary-" + secrets.token_hex(24)
    openai_wire.state.required_key = canary
    # servers that echo the key in their errors must not get it into our files either
    openai_wire.state.push_faults(
        Fault.http_status(401, message=f"Incorrect API key provided: {canary}"),
        Fault.http_status(400, message=f"bad request for key {canary}"),
        Fault.server_error(message=f"upstream failed for {canary}"),
    )
    sessions = sorted(bundled_sessions().glob("*.json"))[:4]
    data = tmp_path / "in"
    data.mkdir()
    for path in sessions:
        (data / path.name).write_bytes(path.read_bytes())
    outputs = [
        run(
            [
                "replay",
                str(data),
                "--model",
                "openai/test-model",
                "--base-url",
                openai_wire.base_url,
                "--condition",
                "base",
                "--max-retries",
                "0",
                "--run-id",
                "C",
                "--out",
                str(tmp_path / "artifacts"),
                "--json",
            ],
            tmp_path,
            canary,
        ),
        run(["grade", "C", "--out", str(tmp_path / "export"), "--json"], tmp_path, canary),
        run(["runs"], tmp_path, canary),
    ]
    report = json.loads(outputs[0].stdout)
    assert report["errored"] >= 1
    assert any("HTTP 401" in e and "[redacted]" in e for e in report["errors"])
    for result in outputs:
        assert canary.encode() not in result.stdout + result.stderr
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.suffix == ".db" for p in written) and any(p.suffix == ".parquet" for p in written)
    for path in written:
        assert canary.encode() not in path.read_bytes(), f"the key leaked into {path}"
