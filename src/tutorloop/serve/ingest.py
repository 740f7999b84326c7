"""Production sessions over HTTP: ingest, the alert list and the monitor pages.

* ``POST /v1/ingest``: sessions as JSON (``{"sessions": [...]}``, a list, or one session) or as
  JSONL (``Content-Type: application/x-ndjson`` or ``application/jsonl``, one session a line).
  Each is graded as ``tutorloop watch`` grades it (same engine, same sink, same time-bucketed
  runs), idempotent by session id. The answer counts what was ``accepted`` (graded now),
  ``duplicate`` (graded before, by this service or a watcher) and ``rejected`` (with the line
  and field of each problem). Alert rules are evaluated after each ingest.
* ``GET /v1/alerts``: the alert episodes, newest first (``?open=true`` for the open ones).
* ``GET /v1/monitor``: windows, drift and alerts as JSON (``tutorloop monitor --json``);
  ``GET /v1/monitor/{metric}``: the metric's trend as an HTML page with an inline SVG chart
  (``?step=`` seconds per point, ``?format=json`` for the points).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from tutorloop.errors import Problem
from tutorloop.load import Item, parse_record
from tutorloop.present import monitor_page
from tutorloop.run import (
    AlertDesk,
    WatchGrading,
    WatchReport,
    ingest_sessions,
    ingest_sessions_async,
    metric_series,
    monitor_snapshot,
)
from tutorloop.serve.errors import ApiError
from tutorloop.serve.offload import bounded

if TYPE_CHECKING:
    from tutorloop.serve.state import Service

__all__ = ["JSONL_TYPES", "Watching", "deliver_alerts", "router"]

router = APIRouter()

JSONL_TYPES = frozenset({"application/x-ndjson", "application/jsonl"})
"""The body types ``POST /v1/ingest`` reads as one session a line."""
_SOURCE = "POST /v1/ingest"


class Watching:
    """The service's grading of ingested sessions, and its alert rules (one per service)."""

    def __init__(self, state: Service) -> None:
        config = state.config.watch
        context = state.context if config.models.active else None
        self.grading = WatchGrading(state.store, config, context=context)
        self.desk = AlertDesk(state.store, config)


def service(request: Request) -> Service:
    """The service the request is served by (``serve.state`` imports the API's routes)."""
    found: Service = request.app.state.service
    return found


def _watching(state: Service) -> Watching:
    found = getattr(state, "watching", None)
    if found is None:
        found = Watching(state)
        state.watching = found
    return found


async def deliver_alerts(state: Service) -> None:
    """Deliver due webhook alerts every ``watch.evaluate_every`` seconds (the service's task)."""
    watching: Watching = state.watching
    if watching.desk.webhook is None:
        return
    while True:
        await anyio.sleep(state.config.watch.evaluate_every)
        await anyio.to_thread.run_sync(watching.desk.deliver, limiter=state.workers)


def _entries(raw: bytes, media: str) -> list[Item | Problem]:
    """The sessions of an ingest body, each an item or the problems that stop it."""
    entries: list[Item | Problem] = []
    if media in JSONL_TYPES:
        text = raw.decode("utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), start=1):
            entries.extend(_only(parse_record(line, "body", line=number)))
        return entries
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise ApiError(422, f"the body is not JSON: {exc}", code="invalid_json") from None
    if isinstance(body, dict) and "sessions" in body:
        body = body["sessions"]
        if not isinstance(body, list):
            raise ApiError(422, "sessions: must be a list", param="sessions")
    records = body if isinstance(body, list) else [body]
    for index, record in enumerate(records, start=1):
        text = json.dumps(record, ensure_ascii=False)
        entries.extend(_only(parse_record(text, "sessions", line=index)))
    return entries


def _only(loaded: Any) -> list[Item | Problem]:
    found: list[Item | Problem] = []
    for entry in loaded:
        if isinstance(entry, Item | Problem):
            found.append(entry)
        else:  # a record that is not a session
            found.append(Problem(entry.path, f"not a session: {entry.reason}"))
    return found


def _problem_json(problem: Problem) -> dict[str, Any]:
    return {
        "line": problem.line,
        "turn": problem.turn,
        "field": problem.field,
        "message": problem.message,
    }


@router.post("/v1/ingest")
async def ingest(request: Request) -> dict[str, Any]:
    """Grade production sessions (JSON or JSONL), each once: accepted, duplicate, rejected."""
    state = service(request)
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    raw = await request.body()
    watching = _watching(state)

    def work() -> WatchReport:
        return ingest_sessions(watching.grading, _entries(raw, media), _SOURCE)

    timeout = state.config.work_timeout_s
    if watching.grading.models is None:
        report = await bounded(work, timeout, "ingesting", state.workers)
    else:  # the judge's calls share the service's event loop and call context
        entries = await bounded(lambda: _entries(raw, media), timeout, "reading", state.workers)
        with anyio.fail_after(timeout):
            report = await ingest_sessions_async(watching.grading, entries, _SOURCE)
    await bounded(watching.desk.tick, timeout, "the alert rules", state.workers)
    return {
        "accepted": report.graded,
        "duplicate": report.duplicates,
        "rejected": len(report.problems),
        "problems": [_problem_json(p) for p in report.problems[:100]],
        "runs": sorted(report.runs),
    }


@router.get("/v1/alerts")
async def alerts(request: Request, open: bool = False) -> dict[str, Any]:
    """The alert episodes, newest first: each raised once, open until its rule clears."""
    store = service(request).store
    episodes = store.watch.episodes(open_only=open)
    return {
        "object": "list",
        "data": [
            {
                "id": e.episode_id,
                "rule": e.rule,
                "opened_at": e.opened_at,
                "closed_at": e.closed_at,
                "status": "open" if e.closed_at is None else "closed",
                "event": e.event,
            }
            for e in episodes
        ],
    }


@router.get("/v1/monitor")
async def monitor(request: Request) -> dict[str, Any]:
    """Windows, metrics, drift and alerts of the watched sessions (``tutorloop monitor``)."""
    state = service(request)

    def work() -> dict[str, Any]:
        return monitor_snapshot(state.store, state.config.watch).to_json()

    return await bounded(work, state.config.work_timeout_s, "the monitor", state.workers)


@router.get("/v1/monitor/{metric}", response_model=None)
async def monitor_metric(
    request: Request, metric: str, step: float | None = None, format: str = "html"
) -> HTMLResponse | dict[str, Any]:
    """One metric over time: an HTML page with its trend chart (or the points as JSON)."""
    state = service(request)
    width = step or state.config.watch.drift.window
    if width <= 0:
        raise ApiError(422, "step: must be a positive number of seconds", param="step")
    if not (metric.startswith(("check:", "failure:")) or metric in ("escalation", "fidelity")):
        raise ApiError(
            404,
            f"no metric {metric!r}: use check:<name>, failure:<class>, escalation or fidelity",
            param="metric",
        )

    def work() -> list[dict[str, Any]]:
        return metric_series(state.store, metric, width)

    series = await bounded(work, state.config.work_timeout_s, "the monitor", state.workers)
    if format == "json":
        return {"metric": metric, "step": width, "points": series}
    page = await bounded(
        lambda: monitor_page(metric, series, width),
        state.config.work_timeout_s,
        "the chart",
        state.workers,
    )
    return HTMLResponse(page)
