"""The unweave evals POC's routes: evals behind HTTP, answering as its ``eval-server`` did.

* ``POST /``: the body is a JSON string naming an eval: a bundled one (``"study-mode"``,
  ``"refusal-smoke"``) or one of the service's registry folder (``"test-match"``, the openai/evals
  layout), all of whose samples run; the answer is ``{"final_report": {...}}`` (a registry eval
  adds its stored ``run_id``). Another method → 405.
* ``GET /dataset`` (and ``/datasets``): ``{"data": [{"input": "<eval name>"}, ...]}``, the
  bundled evals first, then the registry's.
* ``POST /assert`` (and ``/validate``): echoes the body; an empty body → 400 ``no data``.

Errors are plain text, as the origin's were (``method not allowed``, ``no data``); a readiness
probe that waits for the 405 of ``GET /`` works unchanged.
"""

from __future__ import annotations

import json

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from tutorloop.errors import TutorloopError
from tutorloop.serve.registry import DATASETS, eval_registry, final_report, registry_report
from tutorloop.serve.state import service

__all__ = ["router"]

router = APIRouter()
_ALL = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def _not_allowed() -> PlainTextResponse:
    return PlainTextResponse("method not allowed\n", status_code=405)


@router.api_route("/", methods=_ALL)
async def model_endpoint(request: Request) -> Response:
    """Run the named eval and answer with its final report."""
    if request.method != "POST":
        return _not_allowed()
    raw = await request.body()
    try:
        name = json.loads(raw)
    except ValueError:
        name = None
    if not isinstance(name, str):
        return PlainTextResponse(
            'the body must be a JSON string naming an eval, e.g. "study-mode"\n', status_code=400
        )
    state = service(request)
    if name not in DATASETS:
        try:
            registry = await anyio.to_thread.run_sync(eval_registry, state.config)
        except TutorloopError as exc:
            return PlainTextResponse(f"{exc.message}\n", status_code=500)
        if name not in registry:
            known = ", ".join([*DATASETS, *registry.names()])
            return PlainTextResponse(f"no eval {name!r}; known: {known}\n", status_code=404)
        try:
            found = await registry_report(name, registry, state.config, state.store, state.context)
        except TutorloopError as exc:
            return PlainTextResponse(f"{exc.message}\n", status_code=500)
        return JSONResponse(found)
    try:
        report = await anyio.to_thread.run_sync(final_report, name, state.config, state.grader)
    except TutorloopError as exc:
        return PlainTextResponse(f"{exc.message}\n", status_code=500)
    return JSONResponse({"final_report": report})


@router.api_route("/dataset", methods=_ALL)
@router.api_route("/datasets", methods=_ALL)
async def dataset_list(request: Request) -> Response:
    """The evals ``POST /`` runs."""
    if request.method != "GET":
        return _not_allowed()
    try:
        registry = await anyio.to_thread.run_sync(eval_registry, service(request).config)
    except TutorloopError as exc:
        return PlainTextResponse(f"{exc.message}\n", status_code=500)
    names = [*DATASETS, *(n for n in registry.names() if n not in DATASETS)]
    return JSONResponse({"data": [{"input": name} for name in names]})


@router.api_route("/assert", methods=_ALL)
@router.api_route("/validate", methods=_ALL)
async def assert_echo(request: Request) -> Response:
    """Echo the body back verbatim."""
    if request.method != "POST":
        return _not_allowed()
    raw = await request.body()
    if not raw:
        return PlainTextResponse("no data\n", status_code=400)
    media = request.headers.get("content-type", "application/octet-stream")
    return Response(raw, media_type=media)
