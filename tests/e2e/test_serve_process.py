"""``tutorloop serve`` as a process: restart-resume, graceful stop, a hosted-API script as is."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from openai import OpenAI

from tests.e2e.serve_process import free_port, start_service
from tests.openai_wire.runner import LocalOpenAIServer

pytestmark = pytest.mark.e2e
PROMPT: Any = {"role": "user", "content": "{{ item.prompt }}"}
RESUME_TOKEN = "resume-token-0123456789-abcdefghij"


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
    env["TUTORLOOP_API_TOKEN"] = RESUME_TOKEN
    openai_wire.state.latency_s = 0.25
    port = free_port()
    process = start_service(tmp_path, port, env, "first.log")
    client = OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key=RESUME_TOKEN, max_retries=0)
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
    process = start_service(tmp_path, port, env, "second.log")
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


def test_refuses_a_public_address_with_a_weak_token(tmp_path: Path) -> None:
    env = {**os.environ, "TUTORLOOP_API_TOKEN": "x"}
    done = subprocess.run(
        [sys.executable, "-m", "tutorloop", "serve", "--host", "0.0.0.0", "--store",
         str(tmp_path / "s.db")],
        env=env, capture_output=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert b"TUTORLOOP_API_TOKEN" in done.stderr


TOKEN = "e2e-serve-token-abcdef012345"
SAMPLE_STATUS = Path(__file__).parents[1] / "fixtures" / "pulse" / "sample_status.json"


def _configure(tmp_path: Path, wire: LocalOpenAIServer, **extra: Any) -> dict[str, str]:
    config = {
        "upstream": {"base_url": wire.base_url},
        "calls": {"concurrency": 1, "cache": False, "max_retries": 0},
        **extra,
    }
    (tmp_path / "serve.yaml").write_text(json.dumps(config), encoding="utf-8")
    return {**os.environ, "OPENAI_API_KEY": wire.api_key, "TUTORLOOP_API_TOKEN": TOKEN}


def test_the_pulse_refusal_smoke_runs_unchanged_against_the_service(
    tmp_path: Path, openai_wire: LocalOpenAIServer
) -> None:
    from tests.serve.conftest import sorting_responder

    openai_wire.state.responder = sorting_responder
    env = _configure(tmp_path, openai_wire)
    port = free_port()
    process = start_service(tmp_path, port, env, "serve.log")
    status = tmp_path / "status.json"
    shutil.copy(SAMPLE_STATUS, status)
    client_env = {
        k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "TUTORLOOP_"))
    }
    client_env |= {"OPENAI_API_KEY": TOKEN, "TUTORLOOP_HOME": str(tmp_path / "client")}
    try:
        done = subprocess.run(
            [sys.executable, "-m", "tutorloop", "smoke", "refusal", "--backend", "openai-evals",
             "--base-url", f"http://127.0.0.1:{port}/v1", "--model", "gpt-4.1", "--confirm-real",
             "--poll-interval", "0.1", "--status-json", str(status),
             "--out", str(tmp_path / "result.json")],
            env=client_env, capture_output=True, text=True, timeout=120, cwd=tmp_path,
        )  # fmt: skip
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    assert done.returncode == 0, done.stderr
    result = json.loads((tmp_path / "result.json").read_text(encoding="utf-8"))
    assert result["status"] == "completed" and result["gate_pass"] is True
    assert result["result_counts"] == {"total": 6, "passed": 6, "failed": 0, "errored": 0}
    assert result["report_url"].startswith(f"http://127.0.0.1:{port}/v1/runs/evalrun_")
    gates = json.loads(status.read_text(encoding="utf-8"))["gates"]
    assert gates["openai_evals_refusal_smoke_pass"] is True
    for text in (done.stdout, done.stderr, (tmp_path / "serve.log").read_text()):
        assert TOKEN not in text and openai_wire.api_key not in text


def test_sigterm_lets_an_in_flight_request_finish(
    tmp_path: Path, openai_wire: LocalOpenAIServer
) -> None:
    env = _configure(tmp_path, openai_wire, poc_model="openai/gpt-4.1-mini", graceful_shutdown_s=20)
    openai_wire.state.latency_s = 0.3  # six sequential calls: about two seconds
    port = free_port()
    process = start_service(tmp_path, port, env, "serve.log")
    answers: list[Any] = []

    def ask() -> None:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        url = f"http://127.0.0.1:{port}/"
        answers.append(httpx.post(url, json="refusal-smoke", headers=headers, timeout=60))

    asking = threading.Thread(target=ask)
    asking.start()
    deadline = time.monotonic() + 10
    while openai_wire.state.requests == 0:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    process.send_signal(signal.SIGTERM)
    asking.join(timeout=60)
    assert process.wait(timeout=30) in (0, -signal.SIGTERM)
    (answer,) = answers
    assert answer.status_code == 200
    assert answer.json()["final_report"]["counts"]["total"] == 6
