"""POST /v1/ingest (JSON and JSONL, idempotent), GET /v1/alerts and the monitor pages."""

from __future__ import annotations

import json

from tests.run.watch_data import T0, line, session
from tests.serve.conftest import LiveService


def test_ingest_json_and_jsonl_once_by_session_id(live: LiveService) -> None:
    with live.client() as client:
        sessions = [session(f"s{i}", T0 + i) for i in range(5)]
        answer = client.post("/v1/ingest", json={"sessions": sessions})
        assert answer.status_code == 200, answer.text
        assert answer.json()["accepted"] == 5 and answer.json()["runs"]
        body = line(session("s4", T0)) + line(session("s5", T0)) + '{"session_id": "x"}\n'
        answer = client.post(
            "/v1/ingest", content=body, headers={"Content-Type": "application/x-ndjson"}
        )
        result = answer.json()
        assert (result["accepted"], result["duplicate"], result["rejected"]) == (1, 1, 2)
        assert {(p["line"], p["field"]) for p in result["problems"]} == {
            (3, "domain"),
            (3, "trajectory"),
        }
        one = client.post("/v1/ingest", json=session("s6", T0))
        assert one.json()["accepted"] == 1
        wrong = client.post("/v1/ingest", content=b"x", headers={"Content-Type": "text/plain"})
        assert wrong.status_code == 415


def test_alerts_and_the_monitor_pages(live: LiveService) -> None:
    with live.client() as client:
        sessions = [session(f"s{i}", T0 + i * 60, early=i > 40) for i in range(60)]
        client.post("/v1/ingest", json={"sessions": sessions})
        assert client.get("/v1/alerts").json() == {"object": "list", "data": []}
        snapshot = client.get("/v1/monitor").json()
        assert snapshot["sessions"] == 60
        page = client.get("/v1/monitor/check:no_direct_answer_initially", params={"step": 600})
        assert page.status_code == 200 and "<svg" in page.text
        points = client.get(
            "/v1/monitor/escalation", params={"step": 1800, "format": "json"}
        ).json()["points"]
        assert sum(p["n"] for p in points) == 60 and len(points) >= 2
        assert client.get("/v1/monitor/nope").status_code == 404
        assert json.loads(client.get("/v1/monitor/fidelity?format=json").text)["metric"]
