"""tutorloop's own API, auth, limits and errors, over real HTTP."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tutorloop import bundled_sessions

from .conftest import TOKEN, LiveService


def _session(index: int = 0) -> dict[str, Any]:
    files = sorted(bundled_sessions().glob("*.json"))
    data: dict[str, Any] = json.loads(files[index].read_text(encoding="utf-8"))
    return data


def test_health_and_readiness(live: LiveService) -> None:
    with live.client() as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        assert client.get("/readyz").json() == {"status": "ready"}


def test_grade_one_session_returns_its_eval_result(live: LiveService) -> None:
    session = _session()
    with live.client() as client:
        reply = client.post("/v1/grade", json=session)
    assert reply.status_code == 200
    result = reply.json()
    assert result["session_id"] == session["session_id"]
    assert 0.0 <= result["pedagogical_fidelity_score"] <= 1.0
    assert {c["name"] for c in result["checks"]} >= {"diagnosis_first", "conciseness"}


def test_grade_a_batch_returns_one_result_per_session(live: LiveService) -> None:
    sessions = [_session(0), _session(1), _session(2)]
    with live.client() as client:
        reply = client.post("/v1/grade", json={"sessions": sessions})
    assert reply.status_code == 200
    ids = [r["session_id"] for r in reply.json()["results"]]
    assert ids == [s["session_id"] for s in sessions]


def test_malformed_json_is_400_in_openai_error_shape(live: LiveService) -> None:
    with live.client() as client:
        reply = client.post(
            "/v1/grade", content=b'{"session_id": ', headers={"content-type": "application/json"}
        )
    assert reply.status_code == 400
    error = reply.json()["error"]
    assert error["code"] == "invalid_json"
    assert "not valid JSON" in error["message"]


def test_a_body_not_sent_as_json_says_which_content_type_to_send(live: LiveService) -> None:
    with live.client() as client:
        reply = client.post("/v1/grade", content=b"{bad", headers={"content-type": "text/plain"})
    assert reply.status_code == 415
    error = reply.json()["error"]
    assert error["code"] == "unsupported_media_type"
    assert "Content-Type: application/json" in error["message"]


def test_a_bad_field_is_400_naming_its_path(live: LiveService) -> None:
    bad = _session()
    bad["trajectory"][1]["role"] = "teacher"
    with live.client() as client:
        reply = client.post("/v1/grade", json={"sessions": [_session(1), bad]})
    assert reply.status_code == 400
    error = reply.json()["error"]
    assert error["param"] == "sessions[1].trajectory[1].role"
    assert error["message"].startswith("sessions[1].trajectory[1].role:")


def test_validate_lists_every_problem_with_its_field(live: LiveService) -> None:
    bad = _session()
    del bad["domain"]
    bad["trajectory"][0]["role"] = "robot"
    with live.client() as client:
        reply = client.post("/v1/validate", json={"sessions": [_session(1), bad]})
    body = reply.json()
    assert reply.status_code == 200
    assert body["valid"] is False
    params = {e["param"] for e in body["errors"]}
    assert {"sessions[1].domain", "sessions[1].trajectory[0].role"} <= params
    with live.client() as client:
        assert client.post("/v1/validate", json=_session()).json()["valid"] is True


def test_oversize_body_is_413(make_service: Callable[..., LiveService]) -> None:
    service = make_service(max_body_bytes=2048)
    big = {"sessions": [_session()] * 20}
    with service.client() as client:
        reply = client.post("/v1/grade", json=big)
        assert reply.status_code == 413
        assert reply.json()["error"]["code"] == "request_too_large"
        chunks = (b"x" * 1024 for _ in range(8))  # no Content-Length: counted as it streams
        streamed = client.post(
            "/v1/grade", content=chunks, headers={"content-type": "application/json"}
        )
        assert streamed.status_code == 413


def test_token_guards_every_route_but_the_probes(make_service: Callable[..., LiveService]) -> None:
    service = make_service(token=TOKEN)
    with service.client(auth=False) as anonymous:
        assert anonymous.get("/healthz").status_code == 200
        assert anonymous.get("/readyz").status_code == 200
        for method, path in [("POST", "/v1/grade"), ("GET", "/v1/datasets"), ("GET", "/v1/evals"),
                             ("POST", "/"), ("GET", "/dataset")]:  # fmt: skip
            reply = anonymous.request(method, path, json=_session())
            assert reply.status_code == 401, path
            assert reply.json()["error"]["code"] == "invalid_api_key"
            assert TOKEN not in reply.text
    with service.client("wrong-token-value") as wrong:
        assert wrong.get("/v1/datasets").status_code == 401
    with service.client(TOKEN) as client:
        assert client.get("/v1/datasets").status_code == 200
        assert client.post("/v1/grade", json=_session()).status_code == 200


def test_datasets_lists_the_registered_ones(live: LiveService) -> None:
    with live.client() as client:
        names = [d["name"] for d in client.get("/v1/datasets").json()["data"]]
    assert names == ["study-mode", "refusal-smoke"]


def _wait_run(client: Any, run_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while True:
        body: dict[str, Any] = client.get(f"/v1/runs/{run_id}").json()
        if body["status"] in ("completed", "failed") or time.monotonic() > deadline:
            return body
        time.sleep(0.1)


def test_a_background_run_grades_into_the_store_and_serves_its_report(live: LiveService) -> None:
    with live.client() as client:
        started = client.post("/v1/runs", json={"dataset": "study-mode", "run_id": "svc-run-1"})
        assert started.status_code == 202
        assert started.json()["id"] == "svc-run-1"
        body = _wait_run(client, "svc-run-1")
        assert body["status"] == "completed"
        total = len(list(bundled_sessions().glob("*.json")))
        assert body["counts"]["items"] == total
        report = client.get("/v1/runs/svc-run-1/report")
        assert report.status_code == 200
        assert report.headers["content-type"].startswith("text/html")
        assert "svc-run-1" in report.text
        assert client.get("/v1/runs/nope").status_code == 404


def test_a_run_of_inline_sessions_replayed_first(live: LiveService) -> None:
    body = {"sessions": [_session(0), _session(1)], "replay": {"model": "sim/study",
            "conditions": ["overlay"]}}  # fmt: skip
    with live.client() as client:
        run_id = client.post("/v1/runs", json=body).json()["id"]
        done = _wait_run(client, run_id)
    assert done["status"] == "completed", done
    assert done["counts"]["items"] == 2


def test_run_requests_are_checked(live: LiveService) -> None:
    with live.client() as client:
        unknown = client.post("/v1/runs", json={"dataset": "nope"})
        assert unknown.status_code == 404
        assert unknown.json()["error"]["param"] == "dataset"
        both = client.post("/v1/runs", json={"dataset": "study-mode", "sessions": [_session()]})
        assert both.status_code == 400
        items = client.post("/v1/runs", json={"dataset": "refusal-smoke"})
        assert items.status_code == 400
        assert items.json()["error"]["param"] == "dataset"


def test_a_job_cut_off_by_a_restart_is_run_again(
    make_service: Callable[..., LiveService], tmp_path: Path
) -> None:
    from tutorloop.run import new_manifest
    from tutorloop.store import Store

    store_path = tmp_path / "store" / "tutorloop.db"
    with Store.open(store_path) as store:  # as a stopped service left it: running, no items
        store.start_run(new_manifest("cut-off", "grade", [bundled_sessions()], {}))
    jobs = store_path.parent / "serve-jobs"
    jobs.mkdir()
    (jobs / "cut-off.json").write_text('{"dataset": "study-mode", "run_id": "cut-off"}')
    service = make_service()
    with service.client() as client:
        body = _wait_run(client, "cut-off")
    assert body["status"] == "completed"
    assert body["counts"]["items"] == len(list(bundled_sessions().glob("*.json")))


def test_grading_that_crashes_is_500_without_its_message(
    make_service: Callable[..., LiveService],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # grading runs in processes of its own: the crash is planted in them at their start
    planted = tmp_path / "planted"
    planted.mkdir()
    (planted / "sitecustomize.py").write_text(
        "from tutorloop.run import SessionGrader\n"
        "def crash(self, item):\n"
        "    raise RuntimeError('secret detail')\n"
        "SessionGrader.grade = crash\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("PYTHONPATH", str(planted))
    live = make_service()
    with live.client() as client:
        reply = client.post("/v1/grade", json=_session())
    assert reply.status_code == 500
    assert reply.json()["error"]["code"] == "internal_error"
    assert "secret detail" not in reply.text
    assert "RuntimeError" in caplog.text and "secret detail" not in caplog.text


def test_the_lean_grade_path_runs_inside_the_guard() -> None:
    from tutorloop.serve import create_app
    from tutorloop.serve.guard import Guard
    from tutorloop.serve.routes_tutorloop import GradeRoute

    kinds = [m.cls for m in create_app(token=TOKEN).user_middleware]  # outermost first
    assert kinds.index(Guard) < kinds.index(GradeRoute)  # every check of the guard runs first
