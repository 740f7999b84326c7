"""tutorloop's own API: grade sessions, start and follow runs, read reports, validate input.

* ``POST /v1/grade``: one session (or replay artifact) → its ``EvalResult``; ``{"sessions":
  [...]}`` → ``{"results": [...]}`` (heuristics and the decision, as ``tutorloop grade``).
* ``POST /v1/runs`` → 202 with the run id; the run grades (or replays, then grades) in the
  background into the store. ``GET /v1/runs/{id}``: status and counts;
  ``GET /v1/runs/{id}/report``: the HTML report.
* ``GET /v1/datasets``, ``POST /v1/validate`` (every problem with its field path),
  ``GET /healthz`` (alive), ``GET /readyz`` (store open, runs resumed).
"""

from __future__ import annotations

import functools
from typing import Any

import anyio
from fastapi import APIRouter, Body, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from tutorloop.errors import TutorloopError
from tutorloop.present import ReportOptions, build_report
from tutorloop.serve.errors import ApiError, own_error_response
from tutorloop.serve.grade_body import parse_record, records_of
from tutorloop.serve.ids import checked_id
from tutorloop.serve.jobs import JobRequest, RunTaken
from tutorloop.serve.offload import bounded
from tutorloop.serve.registry import DATASETS
from tutorloop.serve.state import service

__all__ = ["GradeRoute", "router"]

router = APIRouter()
_MAX_VALIDATE = 1000

GRADE_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
}
"""The body ``POST /v1/grade`` reads itself: a session object or ``{"sessions": [...]}``."""


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """Readiness: the store is open and interrupted runs have been resumed."""
    ready = service(request).ready
    return JSONResponse({"status": "ready" if ready else "starting"}, 200 if ready else 503)


@router.post("/v1/grade", openapi_extra=GRADE_BODY)
async def grade(request: Request) -> Response:
    """Grade one session or a batch with the heuristics and the decision (in a grading process).

    The lean path: the body (already read and checked by the guard) goes to a grading process
    as bytes; parsing, validation, grading and encoding all happen there, in one hand-off, and
    the answer comes back as the response's bytes.
    """
    state = service(request)
    body = await request.body()
    status, answer = await state.grading.grade(body, state.config.work_timeout_s)
    return Response(answer, status_code=status, media_type="application/json")


class GradeRoute:
    """``POST /v1/grade`` answered right behind the guard, without the router's layers.

    Installed inside :class:`~tutorloop.serve.guard.Guard` (every check of the guard still
    runs first), it calls the same :func:`grade` the router would, skipping the exception,
    exit-stack, routing and dependency layers, whose cost per request is several times the
    grading of one session. Every other request goes on to ``app``.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Grade, or pass the request on."""
        if scope["type"] != "http" or scope["path"] != "/v1/grade" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        response: Response
        try:
            response = await grade(Request(scope, receive))
        except Exception as exc:
            own = own_error_response(exc)
            if own is None:
                raise  # the guard logs it and answers 500
            response = own
        await response(scope, receive, send)


@router.post("/v1/validate")
async def validate(request: Request, body: Any = Body(...)) -> dict[str, Any]:  # noqa: B008
    """Check sessions without grading: every problem, each with its field path."""
    state = service(request)
    sessions, batch = records_of(body, _MAX_VALIDATE)
    work = functools.partial(_validate, sessions, batch)
    return await bounded(work, state.config.work_timeout_s, "validating", state.workers)


def _validate(sessions: list[dict[str, Any]], batch: bool) -> dict[str, Any]:
    errors: list[dict[str, str]] = []
    for index, data in enumerate(sessions):
        parsed = parse_record(data, f"sessions[{index}]" if batch else "")
        if isinstance(parsed, list):
            errors.extend(parsed)
    return {"valid": not errors, "sessions": len(sessions), "errors": errors}


@router.get("/v1/datasets")
async def datasets() -> dict[str, Any]:
    """The datasets ``POST /v1/runs`` accepts by name."""
    return {"object": "list", "data": [d.as_json() for d in DATASETS.values()]}


@router.post("/v1/runs", status_code=202)
async def start_run(request: Request, body: JobRequest) -> dict[str, Any]:
    """Start grading (or replaying, then grading) in the background."""
    try:
        run_id = service(request).jobs.start(body)
    except RunTaken:
        message = (
            f"run_id: a run '{body.run_id}' exists already, and a request never writes into a "
            "run it did not start: omit run_id (one is generated) or choose a new one"
        )
        raise ApiError(409, message, param="run_id", code="run_exists") from None
    except KeyError:
        known = ", ".join(sorted(DATASETS))
        raise ApiError(
            404, f"no dataset '{body.dataset}'; known: {known}", param="dataset"
        ) from None
    return {"object": "run", "id": run_id, "status": "queued"}


@router.get("/v1/runs/{run_id}")
async def get_run(request: Request, run_id: str) -> dict[str, Any]:
    """A run's status and counts (background jobs and CLI runs alike)."""
    checked_id(run_id, "run_id")
    state = service(request)
    job = state.jobs.status(run_id)
    try:
        manifest = state.store.get_run(run_id)
    except TutorloopError:
        if job is None:
            raise ApiError.not_found("run", run_id) from None
        return {"object": "run", "id": run_id, "status": job[0], "error": job[1], "counts": None}
    status: str = manifest.status
    error = None
    if job is not None and job[0] != "completed":  # a replay completes before its grading
        status, error = job
    return {
        "object": "run",
        "id": run_id,
        "kind": manifest.kind,
        "created_by": manifest.config.get("created_by", "cli"),
        "status": status,
        "error": error,
        "created_at": manifest.created_at,
        "finished_at": manifest.finished_at,
        "counts": state.store.count_items(run_id).model_dump(),
        "report_url": f"/v1/runs/{run_id}/report",
    }


@router.get("/v1/runs/{run_id}/report", response_class=HTMLResponse)
async def report(request: Request, run_id: str) -> HTMLResponse:
    """The run's self-contained HTML report."""
    checked_id(run_id, "run_id")
    state = service(request)
    try:
        state.store.get_run(run_id)
    except TutorloopError:
        raise ApiError.not_found("run", run_id) from None
    html = await anyio.to_thread.run_sync(
        lambda: build_report(run_id, ReportOptions(store_path=state.store_path))
    )
    return HTMLResponse(html)
