"""``evalloop serve`` as a process: SIGTERM mid-run, restart, and the run resumes and completes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from openai import OpenAI

from tests.openai_wire.runner import LocalOpenAIServer, bind_socket

pytestmark = pytest.mark.e2e
PROMPT: Any = {"role": "user", "content": "{{ item.prompt }}"}


def _free_port() -> int:
    sock = bind_socket()
    port = int(sock.getsockname()[1])
    sock.close()
    return port


def _start(tmp_path: Path, port: int, env: dict[str, str], log: str) -> subprocess.Popen[bytes]:
    store, config = tmp_path / "evalloop.db", tmp_path / "serve.yaml"
    command = [sys.executable, "-m", "evalloop", "serve", "--port", str(port),
               "--store", str(store), "--config", str(config)]  # fmt: skip
    with (tmp_path / log).open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        assert process.poll() is None, (tmp_path / log).read_text()
        time.sleep(0.1)
    process.kill()
    raise AssertionError("the service did not become ready")


def test_a_run_interrupted_by_a_restart_resumes(
    tmp_path: Path, openai_wire: LocalOpenAIServer
) -> None:
    config = {
        "upstream": {"base_url": openai_wire.base_url},
        "calls": {"concurrency": 1, "cache": False, "max_retries": 0},
        "graceful_shutdown_s": 2,
    }
    (tmp_path / "serve.yaml").write_text(json.dumps(config), encoding="utf-8")
    env = {**os.environ, "OPENAI_API_KEY": openai_wire.api_key}
    env.pop("EVALLOOP_API_TOKEN", None)
    openai_wire.state.latency_s = 0.25
    port = _free_port()
    process = _start(tmp_path, port, env, "first.log")
    client = OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="unused", max_retries=0)
    evaluation = client.evals.create(
        name="resume",
        data_source_config={"type": "custom", "item_schema": {"type": "object"}},
        testing_criteria=[
            {
                "type": "string_check",
                "name": "echo",
                "input": "{{ sample.output_text }}",
                "reference": "reply to: {{ item.prompt }}",
                "operation": "eq",
            }
        ],
    )
    rows: Any = [{"item": {"prompt": f"question {i}"}} for i in range(12)]
    data_source: Any = {
        "type": "completions",
        "model": "gpt-4.1-mini",
        "input_messages": {"type": "template", "template": [PROMPT]},
        "source": {"type": "file_content", "content": rows},
    }
    run = client.evals.runs.create(evaluation.id, data_source=data_source)
    deadline = time.monotonic() + 30
    while len(client.evals.runs.output_items.list(run.id, eval_id=evaluation.id).data) < 2:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) in (0, -signal.SIGTERM)  # uvicorn re-raises the signal
    stopped = (tmp_path / "first.log").read_text()
    assert "Shutting down" in stopped and "Traceback" not in stopped
    openai_wire.state.latency_s = 0.0
    process = _start(tmp_path, port, env, "second.log")
    try:
        deadline = time.monotonic() + 60
        while (
            done := client.evals.runs.retrieve(run.id, eval_id=evaluation.id)
        ).status != "completed":
            assert done.status in ("queued", "in_progress"), done
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert done.result_counts.to_dict() == {
            "total": 12,
            "passed": 12,
            "failed": 0,
            "errored": 0,
        }
        items = list(client.evals.runs.output_items.list(run.id, eval_id=evaluation.id))
        assert sorted(i.datasource_item_id for i in items) == list(range(12))
        calls = [e for e in openai_wire.state.log if e["path"].endswith("/chat/completions")]
        assert 12 <= len(calls) <= 14  # at most the two in flight at the stop are asked again
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def test_refuses_a_public_address_without_a_token(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "EVALLOOP_API_TOKEN"}
    done = subprocess.run(
        [sys.executable, "-m", "evalloop", "serve", "--host", "0.0.0.0", "--store",
         str(tmp_path / "s.db")],
        env=env, capture_output=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert b"EVALLOOP_API_TOKEN" in done.stderr
