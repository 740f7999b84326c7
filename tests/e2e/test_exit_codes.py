"""Exit codes of a grading run: a judge that is never reached is not a success."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_judge_exits_4_naming_the_model_and_the_cause(tmp_path: Path):
    turns = [
        {"role": "user", "content": "help me with fractions"},
        {"role": "assistant", "content": "What do you already know about fractions?"},
    ]
    data = tmp_path / "s.jsonl"
    data.write_text(
        "".join(
            json.dumps({"session_id": f"s{n}", "domain": "math", "trajectory": turns}) + "\n"
            for n in range(3)
        ),
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if k != "TUTORLOOP_HOME"}
    env["OPENAI_API_KEY"] = "sk-test-key-0000"
    base_url = f"http://127.0.0.1:{closed_port()}/v1"
    done = subprocess.run(
        [sys.executable, "-m", "tutorloop", "grade", str(data), "--judge", "openai/judge-x",
         "--judge-all", "--base-url", base_url, "--max-retries", "0", "--store",
         str(tmp_path / "store.db"), "--run-id", "r1"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    text = " ".join(done.stderr.split())
    assert done.returncode == 4, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert "judge openai/judge-x" in text and "connection refused" in text, text
    assert "timed out" not in text
