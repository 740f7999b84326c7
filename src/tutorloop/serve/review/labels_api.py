"""The labels API under the review pages: ``POST /v1/labels`` and ``GET /v1/labels``.

``POST`` takes one label (:class:`~tutorloop.records.LabelInput`) or ``{"labels": [...]}`` (up
to :data:`MAX_LABELS`), all stored or none; each is checked against its dimension's values and
must name an item of a stored run (404 naming it otherwise). A reviewer's labels carry their own
name; only the admin token may label as someone else. Every write is audited.
``GET`` lists labels filtered by ``run_id``, ``item_key`` and ``rater``.
"""

from __future__ import annotations

from typing import Any

import anyio
from fastapi import APIRouter, Body, Request
from pydantic import TypeAdapter, ValidationError

from tutorloop.records import LabelInput
from tutorloop.serve.errors import ApiError, field_path
from tutorloop.serve.review.access import Principal
from tutorloop.serve.state import service
from tutorloop.store import UnknownItem

__all__ = ["MAX_LABELS", "principal_of", "router"]

MAX_LABELS = 500
"""Labels one request may write."""

router = APIRouter()
_LABELS = TypeAdapter(list[LabelInput])


def principal_of(request: Request) -> Principal:
    """Who sent ``request`` (the guard put it on the request's state)."""
    found: Principal | None = getattr(request.state, "principal", None)
    if found is None:  # the guard names everyone who reaches a labels route
        raise ApiError(401, "sign in: send 'Authorization: Bearer <token>'", code="invalid_api_key")
    return found


@router.post("/v1/labels", status_code=201)
async def post_labels(request: Request, body: Any = Body(...)) -> dict[str, Any]:  # noqa: B008
    """Store one label or a batch; answers the stored labels with their ids and times."""
    principal = principal_of(request)
    many = isinstance(body, dict) and "labels" in body
    raw = body["labels"] if many else [body]
    if not isinstance(raw, list) or not raw:
        raise ApiError(400, "labels: send a label object or {'labels': [...]}", param="labels")
    if len(raw) > MAX_LABELS:
        raise ApiError(400, f"labels: at most {MAX_LABELS} per request", param="labels")
    try:
        labels = _LABELS.validate_python(raw)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = field_path(error["loc"][1:] if not many else ("labels", *error["loc"]))
        raise ApiError(400, f"{where}: {error['msg']}", param=where) from None
    for index, label in enumerate(labels):
        where = f"labels[{index}]" if many else "value"
        problem = label.problem()
        if problem is not None:
            raise ApiError(400, f"{where}: {problem}", param=where)
        if label.rater not in (None, principal.name) and not principal.is_admin:
            raise ApiError(
                403,
                f"{where}.rater: a reviewer labels as themselves ({principal.name!r}); "
                "leave rater out",
                param="rater",
                code="forbidden",
            )
    store = service(request).store
    try:
        stored = await anyio.to_thread.run_sync(
            lambda: store.labels.add(labels, rater=principal.name, actor=principal.name)
        )
    except UnknownItem as exc:
        raise ApiError(404, exc.message, param="item_key", code="not_found") from None
    data = [label.model_dump(mode="json") for label in stored]
    return {"object": "list", "data": data} if many else data[0]


@router.get("/v1/labels")
async def get_labels(
    request: Request,
    run_id: str | None = None,
    item_key: str | None = None,
    rater: str | None = None,
    limit: int = 1000,
) -> dict[str, Any]:
    """Labels in the order they were written, filtered by run, item and rater."""
    if not 1 <= limit <= 10_000:
        raise ApiError(400, "limit: between 1 and 10000", param="limit")
    store = service(request).store
    found = await anyio.to_thread.run_sync(
        lambda: store.labels.find(run_id=run_id, item_key=item_key, rater=rater, limit=limit)
    )
    return {"object": "list", "data": [label.model_dump(mode="json") for label in found]}
