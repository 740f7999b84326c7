"""``POST /v1/grade`` in grading processes: replaced when they die or overrun, no secrets, ended."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tutorloop import bundled_sessions
from tutorloop.serve.grade_pool import GradePool

from .conftest import LiveService


def _session() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        sorted(bundled_sessions().glob("*.json"))[0].read_text(encoding="utf-8")
    )
    return data


def _pool(service: LiveService) -> GradePool:
    pool: GradePool = service.app.state.service.grading
    return pool


def _pids(service: LiveService) -> set[int]:
    return {process.process.pid for process in _pool(service)._all}


def test_grading_runs_in_processes_without_credentials_that_end_with_the_service(
    make_service: Callable[..., LiveService],
) -> None:
    service = make_service(token="grade-pool-token-0123456789", grade_processes=2)
    assert not _pids(service)  # started at the first grading request
    with service.client() as client:
        for _ in range(4):
            reply = client.post("/v1/grade", json=_session())
            assert reply.status_code == 200, reply.text
            assert reply.json()["session_id"] == _session()["session_id"]
        batch = client.post("/v1/grade", json={"sessions": [_session(), _session()]})
        assert len(batch.json()["results"]) == 2
    pids = _pids(service)
    assert len(pids) == 2 and os.getpid() not in pids
    for pid in pids:
        environ = Path(f"/proc/{pid}/environ").read_bytes()
        assert b"grade-pool-token-0123456789" not in environ
        assert b"OPENAI_API_KEY" not in environ
    processes = [process.process for process in _pool(service)._all]
    service.stop()
    assert all(process.poll() is not None for process in processes)


def test_a_grading_process_that_dies_is_500_then_replaced(
    make_service: Callable[..., LiveService],
) -> None:
    service = make_service(grade_processes=1)
    with service.client() as client:
        assert client.post("/v1/grade", json=_session()).status_code == 200
        (first,) = _pool(service)._all
        first.process.kill()
        first.process.wait()
        reply = client.post("/v1/grade", json=_session())
        assert reply.status_code == 500
        assert reply.json()["error"]["code"] == "internal_error"
        assert client.post("/v1/grade", json=_session()).status_code == 200
    assert _pids(service) and first.process.pid not in _pids(service)


def test_grading_past_its_deadline_is_400_and_its_process_replaced(
    make_service: Callable[..., LiveService],
) -> None:
    service = make_service(grade_processes=1)
    state = service.app.state.service
    with service.client() as client:
        assert client.post("/v1/grade", json=_session()).status_code == 200
        first = _pids(service)
        # a free process at once, then 256 sessions to grade: far more than 5 ms of work
        state.config = state.config.model_copy(update={"work_timeout_s": 0.005})
        reply = client.post("/v1/grade", json={"sessions": [_session()] * 256})
        assert reply.status_code == 400
        assert reply.json()["error"]["code"] == "work_timeout"
        assert client.get("/healthz").status_code == 200
        replaced = _pids(service)
        assert len(replaced) == 1 and replaced != first
        state.config = state.config.model_copy(update={"work_timeout_s": 30.0})
        assert client.post("/v1/grade", json=_session()).status_code == 200
