"""Requests that used to freeze the service: ``/healthz`` answers quickly while they run."""

from __future__ import annotations

import json
import statistics
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx2 as httpx

from tests.serve.conftest import LiveService
from tutorloop import bundled_sessions

SLOW_LOOPS = "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}"
PROBES = 50
P99_BOUND_S = 0.2
"""``/healthz`` p99 bound while freezing work runs. The aim is 100 ms; measured p99 21-36 ms on a
quiet 2-core box and 67 ms with both cores busy elsewhere; the bound leaves room for a busier CI
box and stays far below the seconds-to-minutes of a frozen loop."""


def _sessions(count: int) -> list[dict[str, Any]]:
    files = sorted(bundled_sessions().glob("*.json"))
    loaded = [json.loads(f.read_text(encoding="utf-8")) for f in files]
    return [loaded[i % len(loaded)] for i in range(count)]


def _freezing_eval(client: httpx.Client) -> str:
    body = {
        "name": "freeze",
        "data_source_config": {"type": "custom", "item_schema": {"type": "object"}},
        "testing_criteria": [
            {"type": "string_check", "name": "loops", "input": SLOW_LOOPS,
             "reference": "x", "operation": "eq"},
            {"type": "string_check", "name": "big", "input": "{{ 'x' * 10**9 }}",
             "reference": "x", "operation": "eq"},
        ],
    }  # fmt: skip
    reply = client.post("/v1/evals", json=body)
    assert reply.status_code == 200, reply.text
    eval_id: str = reply.json()["id"]
    return eval_id


def _probe(service: LiveService) -> list[float]:
    latencies = []
    with httpx.Client(base_url=service.url, timeout=30) as probe:
        for _ in range(PROBES):
            started = time.perf_counter()
            assert probe.get("/healthz").status_code == 200
            latencies.append(time.perf_counter() - started)
            time.sleep(0.02)
    return latencies


def test_healthz_answers_while_freezing_requests_run(
    make_service: Callable[..., LiveService],
) -> None:
    service = make_service(work_timeout_s=5.0, max_grade_sessions=64)
    with service.client() as client:
        eval_id = _freezing_eval(client)
        rows = [{"item": {"n": i}, "sample": {"output_text": "x"}} for i in range(8)]
        source = {"type": "jsonl", "source": {"type": "file_content", "content": rows}}
        run = client.post(f"/v1/evals/{eval_id}/runs", json={"data_source": source})
        assert run.status_code == 200, run.text
        run_id = run.json()["id"]
        redos = {"type": "object", "properties": {"a": {"type": "string", "pattern": "^(a+)+$"}}}
        refused = client.post("/v1/evals", json={
            "name": "redos", "testing_criteria": [],
            "data_source_config": {"type": "custom", "item_schema": redos},
        })  # fmt: skip
        assert refused.status_code == 400

    statuses: list[int] = []

    def grade_batches() -> None:
        with service.client() as batch_client:
            for _ in range(3):
                reply = batch_client.post("/v1/grade", json={"sessions": _sessions(64)})
                statuses.append(reply.status_code)

    batches = [threading.Thread(target=grade_batches) for _ in range(2)]
    for thread in batches:
        thread.start()
    time.sleep(0.2)  # the run's renders and the batches are under way
    latencies = _probe(service)
    for thread in batches:
        thread.join(timeout=120)
    ordered = sorted(latencies)
    p99 = ordered[int(0.99 * (len(ordered) - 1))]
    print(  # the measured figure, shown with -s
        f"healthz under load: p50 {statistics.median(latencies) * 1000:.1f} ms, "
        f"p99 {p99 * 1000:.1f} ms, max {ordered[-1] * 1000:.1f} ms"
    )
    assert p99 < P99_BOUND_S, ordered
    assert statuses and all(s in (200, 400) for s in statuses), statuses
    oversized = None
    with service.client() as client:
        oversized = client.post("/v1/grade", json={"sessions": _sessions(65)})
        deadline = time.monotonic() + 120
        while (got := client.get(f"/v1/evals/{eval_id}/runs/{run_id}").json())["status"] != (
            "completed"
        ):
            assert got["status"] in ("queued", "in_progress"), got
            assert time.monotonic() < deadline, got
            time.sleep(0.1)
        items = client.get(f"/v1/evals/{eval_id}/runs/{run_id}/output_items?limit=100").json()
    assert oversized.status_code == 413
    assert got["result_counts"]["total"] == 8
    assert len(items["data"]) == 8
    for item in items["data"]:  # each freezing template is the grader's error, not a hang
        assert all(r["error"] is not None and not r["passed"] for r in item["results"])
    text = json.dumps(items)
    assert "simplify its loops" in text and "output limit" in text
