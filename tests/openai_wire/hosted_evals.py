"""The hosted Evals ``GET /v1/evals/...`` routes: an eval, its runs, a run's output items.

They serve what a test put in ``ServerState.evals``, ``eval_runs`` and ``eval_output_items``
(see :func:`~tests.openai_wire.wire_objects.make_eval_run` and
:func:`~tests.openai_wire.wire_objects.make_output_item`); lists are cursor pages (``limit``,
``after``, ``order``, ``status``), and an unknown id is a 404.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response

from .http_replies import ApiError, json_response
from .state import ServerState

__all__ = ["eval_output_items", "eval_retrieve", "eval_runs"]


def _cursor_page(objects: list[dict[str, Any]], request: Request) -> Response:
    """A list object of ``objects``: ``limit`` (1-100, default 20), ``after``, ``order``."""
    query = request.query_params
    try:
        limit = int(query.get("limit", "20"))
    except ValueError:
        limit = 0
    if not 1 <= limit <= 100:
        raise ApiError(400, "Invalid 'limit': expected an integer in [1, 100].", param="limit")
    order = query.get("order", "asc")
    if order not in ("asc", "desc"):
        raise ApiError(400, "Invalid 'order': expected 'asc' or 'desc'.", param="order")
    ordered = objects if order == "asc" else objects[::-1]
    status = query.get("status")
    if status is not None:
        ordered = [o for o in ordered if o.get("status") == status]
    start = 0
    after = query.get("after")
    if after is not None:
        ids = [o["id"] for o in ordered]
        if after not in ids:
            raise ApiError(400, f"Invalid 'after': no object with id '{after}'.", param="after")
        start = ids.index(after) + 1
    page = ordered[start : start + limit]
    return json_response(
        {
            "object": "list",
            "data": page,
            "first_id": page[0]["id"] if page else None,
            "last_id": page[-1]["id"] if page else None,
            "has_more": start + limit < len(ordered),
        }
    )


def _known_eval(state: ServerState, eval_id: str) -> dict[str, Any]:
    with state.lock:
        found = state.evals.get(eval_id)
    if found is None:
        raise ApiError(404, f"Eval with id '{eval_id}' not found.", param="eval_id")
    return found


def eval_retrieve(state: ServerState, _body: dict[str, Any] | None, request: Request) -> Response:
    return json_response(_known_eval(state, str(request.path_params["eval_id"])))


def eval_runs(state: ServerState, _body: dict[str, Any] | None, request: Request) -> Response:
    eval_id = str(request.path_params["eval_id"])
    _known_eval(state, eval_id)
    with state.lock:
        runs = list(state.eval_runs.get(eval_id, []))
    return _cursor_page(runs, request)


def eval_output_items(
    state: ServerState, _body: dict[str, Any] | None, request: Request
) -> Response:
    eval_id = str(request.path_params["eval_id"])
    run_id = str(request.path_params["run_id"])
    _known_eval(state, eval_id)
    with state.lock:
        known = any(r.get("id") == run_id for r in state.eval_runs.get(eval_id, []))
        items = list(state.eval_output_items.get(run_id, []))
    if not known:
        raise ApiError(404, f"Run with id '{run_id}' not found.", param="run_id")
    return _cursor_page(items, request)
