"""The review app's pages and the JSON under them.

Pages (server-rendered, readable with JavaScript off): ``GET /review`` (runs),
``GET /review/queue`` and ``GET /review/runs/{run_id}/queue`` (the queue, filtered by GET
parameters), ``GET /review/runs/{run_id}/items/{item_key}`` (a session, with its labels), and
``GET /review/static/review.js`` (the pages' own script: shortcuts, labels posted as JSON to
``/v1/labels``). JSON: ``GET /v1/review/runs`` and ``GET /v1/review/queue?run_id=...``.
A missing run or session answers 404 naming it.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Any
from urllib.parse import quote, urlencode

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from tutorloop.errors import StoreError
from tutorloop.present.review import (
    FILTERS,
    QueryError,
    QueueQuery,
    QueueRow,
    ReviewCache,
    build_queue,
    render_page,
    run_rows,
    session_page,
)
from tutorloop.serve.errors import ApiError
from tutorloop.serve.review.labels_api import principal_of
from tutorloop.serve.state import service

__all__ = ["router"]

router = APIRouter()


@cache
def _script() -> bytes:
    return files("tutorloop.present.review").joinpath("static/review.js").read_bytes()


@router.get("/review/static/review.js", response_model=None)
async def script() -> Response:
    """The review pages' script (vendored in the package; nothing comes from elsewhere)."""
    return Response(
        _script(),
        media_type="text/javascript",
        headers={"Cache-Control": "private, max-age=300"},
    )


@router.get("/review", response_class=HTMLResponse)
async def runs_page(request: Request) -> HTMLResponse:
    """Every run with its gates, headline figures and a link to its report."""
    store = service(request).store
    rows = await anyio.to_thread.run_sync(lambda: run_rows(store, _cache(request)))
    return _html(request, "runs", rows=rows)


@router.get("/review/queue", response_class=HTMLResponse)
async def queue_all(request: Request) -> HTMLResponse:
    """The escalated sessions of every run."""
    return await _queue_page(request, None)


@router.get("/review/runs/{run_id}/queue", response_class=HTMLResponse)
async def queue_run(request: Request, run_id: str) -> HTMLResponse:
    """The escalated sessions of one run."""
    return await _queue_page(request, run_id)


@router.get("/review/runs/{run_id}/items/{item_key:path}", response_class=HTMLResponse)
async def session_view(request: Request, run_id: str, item_key: str) -> HTMLResponse:
    """One session: both trajectories, the evidence, every grader's verdict, the label form."""
    query = _query(request, run_id)
    if isinstance(query, HTMLResponse):
        return query
    store = service(request).store
    rater = principal_of(request).name
    try:
        page = await anyio.to_thread.run_sync(
            lambda: session_page(store, run_id, item_key, rater, query, _cache(request))
        )
    except StoreError as exc:
        return _missing(request, exc.message)
    if page is None:
        return _missing(
            request,
            f"run {run_id!r} has no graded session {item_key!r}: open one from the run's queue",
        )
    params = query.params(page=None)

    def neighbour_href(key: str) -> str:
        return _session_href(run_id, key, params)

    queue_href = f"/review/runs/{quote(run_id, safe='')}/queue" + _qs(params)
    failed = [c.name for c in page.check_views if c.failed]
    return _html(
        request, "session", p=page, neighbour_href=neighbour_href, queue_href=queue_href,
        failed=failed,
    )  # fmt: skip


@router.get("/v1/review/runs")
async def runs_json(request: Request) -> dict[str, Any]:
    """Every run with its gates and headline figures (what the runs page shows)."""
    store = service(request).store
    rows = await anyio.to_thread.run_sync(lambda: run_rows(store, _cache(request)))
    return {"object": "list", "data": [row.json() for row in rows]}


@router.get("/v1/review/queue")
async def queue_json(request: Request) -> dict[str, Any]:
    """One page of the queue (``run_id`` optional, the page's filters as parameters)."""
    params = dict(request.query_params)
    try:
        query = QueueQuery.from_params(params)
    except QueryError as exc:
        raise ApiError(400, str(exc), param=str(exc).split(":")[0]) from None
    store = service(request).store
    try:
        page = await anyio.to_thread.run_sync(lambda: build_queue(store, query, _cache(request)))
    except StoreError as exc:
        raise ApiError(404, exc.message, param="run_id", code="not_found") from None
    return page.json()


async def _queue_page(request: Request, run_id: str | None) -> HTMLResponse:
    query = _query(request, run_id)
    if isinstance(query, HTMLResponse):
        return query
    store = service(request).store
    try:
        page = await anyio.to_thread.run_sync(lambda: build_queue(store, query, _cache(request)))
    except StoreError as exc:
        return _missing(request, exc.message)
    base = "/review/queue" if run_id is None else f"/review/runs/{quote(run_id, safe='')}/queue"
    context = query.params(page=None)

    def here(**changes: Any) -> str:
        return base + _qs(query.params(**changes))

    def session_href(row: QueueRow) -> str:
        return _session_href(row.run_id, row.item_key, context)

    return _html(
        request, "queue", q=query, page=page, filters=FILTERS, base=base, here=here,
        session_href=session_href,
    )  # fmt: skip


def _query(request: Request, run_id: str | None) -> QueueQuery | HTMLResponse:
    try:
        return QueueQuery.from_params(dict(request.query_params), run_id)
    except QueryError as exc:
        return _html(request, "error", status=400, heading="Bad filter", message=str(exc))


def _session_href(run_id: str, item_key: str, params: dict[str, str]) -> str:
    path = f"/review/runs/{quote(run_id, safe='')}/items/{quote(item_key, safe='')}"
    return path + _qs(params)


def _qs(params: dict[str, str]) -> str:
    return "?" + urlencode(params) if params else ""


def _missing(request: Request, message: str) -> HTMLResponse:
    return _html(request, "error", status=404, heading="Not found", message=message)


def _cache(request: Request) -> ReviewCache:
    found: ReviewCache = request.app.state.review_cache
    return found


def _html(request: Request, name: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    who = principal_of(request).name
    return HTMLResponse(render_page(name, who=who, pct=_pct, **context), status_code=status)


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"
