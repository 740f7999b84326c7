"""``tutorloop serve`` killed with kill -9 mid-run: every item once in the API and in the report."""

from __future__ import annotations

import json
import os
import signal
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from openai import OpenAI

from tests.e2e.serve_process import free_port, start_service
from tests.openai_wire.runner import LocalOpenAIServer
from tutorloop.store import Store

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(os.name == "nt", reason="needs SIGKILL"),
]

ITEMS = 40
PROMPT: Any = {"role": "user", "content": "{{ item.prompt }}"}
RESUME_TOKEN = "resume-token-0123456789-abcdefghij"


def test_kill_minus_nine_mid_run_then_restart_keeps_every_item_exactly_once(
    tmp_path: Path, openai_wire: LocalOpenAIServer
) -> None:
    config = {
        "upstream": {"base_url": openai_wire.base_url},
        "calls": {"concurrency": 2, "cache": False, "max_retries": 0},
    }
    (tmp_path / "serve.yaml").write_text(json.dumps(config), encoding="utf-8")
    env = {**os.environ, "OPENAI_API_KEY": openai_wire.api_key}
    env["TUTORLOOP_API_TOKEN"] = RESUME_TOKEN
    openai_wire.state.latency_s = 0.2
    port = free_port()
    first = start_service(tmp_path, port, env, "first.log")
    client = OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key=RESUME_TOKEN, max_retries=0)
    evaluation = client.evals.create(
        name="kill -9",
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
    rows: Any = [{"item": {"prompt": f"question {i}"}} for i in range(ITEMS)]
    data_source: Any = {
        "type": "completions",
        "model": "gpt-4.1-mini",
        "input_messages": {"type": "template", "template": [PROMPT]},
        "source": {"type": "file_content", "content": rows},
    }
    run = client.evals.runs.create(evaluation.id, data_source=data_source)
    try:
        deadline = time.monotonic() + 60
        while len(client.evals.runs.output_items.list(run.id, eval_id=evaluation.id).data) < 4:
            assert first.poll() is None, (tmp_path / "first.log").read_text()
            assert time.monotonic() < deadline, "no output item was stored"
            time.sleep(0.02)
    finally:
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
    assert first.returncode == -signal.SIGKILL

    with Store.open(tmp_path / "tutorloop.db") as store:
        kept = store.count_items(run.id).items
    assert kept < ITEMS, "the kill came too late to test a resume"

    openai_wire.state.latency_s = 0.0
    second = start_service(tmp_path, port, env, "second.log")
    try:
        deadline = time.monotonic() + 120
        while (done := client.evals.runs.retrieve(run.id, eval_id=evaluation.id)).status != (
            "completed"
        ):
            assert done.status in ("queued", "in_progress"), done
            assert time.monotonic() < deadline, "the resumed run did not complete"
            time.sleep(0.05)
        items = list(client.evals.runs.output_items.list(run.id, eval_id=evaluation.id, limit=7))
        auth = {"Authorization": f"Bearer {RESUME_TOKEN}"}
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=auth, timeout=30) as http:
            tutorloop_run = http.get(f"/v1/runs/{run.id}").json()
            report = http.get(f"/v1/runs/{run.id}/report")
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=30)

    assert done.result_counts.to_dict() == {
        "total": ITEMS,
        "passed": ITEMS,
        "failed": 0,
        "errored": 0,
    }
    assert Counter(i.datasource_item_id for i in items) == Counter(range(ITEMS))
    assert all(i.status == "pass" for i in items)

    with Store.open(tmp_path / "tutorloop.db") as store:
        keys = [item.item_key for item in store.iter_items(run.id)]
        counts = store.count_items(run.id)
        manifest = store.get_run(run.id)
    assert Counter(keys) == Counter(f"item-{i}" for i in range(ITEMS))
    assert counts.items == counts.done == done.result_counts.total
    assert counts.errored == done.result_counts.errored
    assert manifest.status == "completed" and manifest.counts == counts
    assert tutorloop_run["status"] == "completed"
    assert tutorloop_run["counts"]["items"] == ITEMS
    assert report.status_code == 200 and "<html" in report.text.lower()
