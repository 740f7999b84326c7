"""The OpenAI Evals HTTP API: files, evals, runs and output items, as the official SDK calls it.

Lists are cursor pages ``{"object": "list", "data", "first_id", "last_id", "has_more"}`` with
``after``, ``limit`` (1–100, default 20) and ``order`` (``asc``/``desc``); evals also take
``order_by`` (``created_at``/``updated_at``), and files, as the hosted Files API, ``purpose``
with ``limit`` up to 10,000 (the default) and newest first. An ``after`` that names no object
of the list is a 400 naming ``after``, never a silent first page. Unknown ids are 404; bad
bodies 400 naming the field (as the hosted API: never 422); a grader tutorloop cannot run is 400
naming ``testing_criteria[i].<field>``.
"""

from __future__ import annotations

import functools
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile

from tutorloop.errors import ConfigError
from tutorloop.grade import parse_criteria, python_graders_refused, uses_python
from tutorloop.serve.errors import ApiError
from tutorloop.serve.ids import checked_id
from tutorloop.serve.offload import bounded
from tutorloop.serve.openai_evals.datasource import read_rows
from tutorloop.serve.openai_evals.objects import eval_object, item_schema, new_id, now, run_object
from tutorloop.serve.openai_evals.wire import EvalCreate, EvalUpdate, RunCreate
from tutorloop.serve.report_links import ReportLinks
from tutorloop.serve.state import Service, service

__all__ = ["router"]

router = APIRouter(prefix="/v1")

Limit = Annotated[int, Query(ge=1, le=100)]
FileLimit = Annotated[int, Query(ge=1, le=10_000)]
Order = Annotated[Literal["asc", "desc"], Query()]
OrderBy = Annotated[Literal["created_at", "updated_at"], Query()]
Page = tuple[list[dict[str, Any]], bool]


def _listed(read: Any) -> Page:
    """``read()``'s page; an ``after`` that names nothing in the list is a 400."""
    try:
        page: Page = read()
    except LookupError as exc:
        raise ApiError(400, str(exc.args[0]), param="after", code="invalid_after") from None
    return page


def _page(objects: list[dict[str, Any]], has_more: bool) -> dict[str, Any]:
    return {
        "object": "list",
        "data": objects,
        "first_id": objects[0]["id"] if objects else None,
        "last_id": objects[-1]["id"] if objects else None,
        "has_more": has_more,
    }


# --------------------------------------------------------------------------- files


@router.post("/files")
async def create_file(
    request: Request,
    file: Annotated[UploadFile, File()],
    purpose: Annotated[str, Form()],
) -> dict[str, Any]:
    """Upload a JSONL file (``purpose=evals``) for ``file_id`` data sources."""
    if purpose != "evals":
        message = f"purpose '{purpose}' is not served here: tutorloop keeps files for evals only"
        raise ApiError(400, message, param="purpose")
    content = await file.read()
    obj = {
        "object": "file",
        "id": new_id("file"),
        "bytes": len(content),
        "created_at": now(),
        "filename": file.filename or "upload.jsonl",
        "purpose": purpose,
        "status": "processed",
        "expires_at": None,
        "status_details": None,
    }
    service(request).tables.put_file(obj, content)
    return obj


@router.get("/files")
async def list_files(
    request: Request,
    after: str | None = None,
    limit: FileLimit = 10_000,
    order: Order = "desc",
    purpose: str | None = None,
) -> dict[str, Any]:
    """The uploaded files, a page at a time (newest first unless ``order=asc``)."""
    tables = service(request).tables
    read = functools.partial(
        tables.file_page, after=after, limit=limit, order=order, purpose=purpose
    )
    return _page(*_listed(read))


@router.get("/files/{file_id}/content")
async def get_file_content(request: Request, file_id: str) -> Response:
    """An uploaded file's bytes, as uploaded."""
    checked_id(file_id, "file_id")
    content = service(request).tables.file_content(file_id)
    if content is None:
        raise ApiError.not_found("file", file_id)
    return Response(content, media_type="application/octet-stream")


@router.get("/files/{file_id}")
async def get_file(request: Request, file_id: str) -> dict[str, Any]:
    """An uploaded file's object."""
    checked_id(file_id, "file_id")
    found = service(request).tables.get_file(file_id)
    if found is None:
        raise ApiError.not_found("file", file_id)
    return found


@router.delete("/files/{file_id}")
async def delete_file(request: Request, file_id: str) -> dict[str, Any]:
    """Delete an uploaded file."""
    checked_id(file_id, "file_id")
    if not service(request).tables.delete_file(file_id):
        raise ApiError.not_found("file", file_id)
    return {"object": "file", "id": file_id, "deleted": True}


# --------------------------------------------------------------------------- evals


def _check_criteria(state: Service, criteria: list[dict[str, Any]]) -> None:
    names: set[str] = set()
    for index, entry in enumerate(criteria):
        try:
            (grader,) = parse_criteria([entry], f"testing_criteria[{index}]")
        except ConfigError as exc:
            param = f"testing_criteria[{index}]" + (f".{exc.field}" if exc.field else "")
            raise ApiError(400, exc.message, param=param) from None
        if uses_python(grader):
            config = state.config
            refused = python_graders_refused(config.python_graders, config.bwrap_path)
            if refused is not None:
                message = f"testing_criteria[{index}]: {refused}"
                raise ApiError(400, message, param=f"testing_criteria[{index}].type")
        if grader.name in names:
            message = f"testing_criteria[{index}]: another grader is already called {grader.name!r}"
            raise ApiError(400, message, param=f"testing_criteria[{index}].name")
        names.add(grader.name)


def _eval(state: Service, eval_id: str) -> dict[str, Any]:
    checked_id(eval_id, "eval_id")
    found = state.tables.get_eval(eval_id)
    if found is None:
        raise ApiError.not_found("eval", eval_id)
    return found


@router.post("/evals")
async def create_eval(request: Request, body: EvalCreate) -> dict[str, Any]:
    """Create an eval: its item schema and its graders (checked now, not at run time)."""
    state = service(request)
    _check_criteria(state, body.testing_criteria)
    obj = eval_object(body)
    state.tables.put_eval(obj)
    return obj


@router.get("/evals")
async def list_evals(
    request: Request,
    after: str | None = None,
    limit: Limit = 20,
    order: Order = "asc",
    order_by: OrderBy = "created_at",
) -> dict[str, Any]:
    """The evals, a page at a time, by creation or by last change."""
    tables = service(request).tables
    read = functools.partial(
        tables.page, "evals", after=after, limit=limit, order=order, order_by=order_by
    )
    return _page(*_listed(read))


@router.get("/evals/{eval_id}")
async def get_eval(request: Request, eval_id: str) -> dict[str, Any]:
    """One eval."""
    return _eval(service(request), eval_id)


@router.post("/evals/{eval_id}")
async def update_eval(request: Request, eval_id: str, body: EvalUpdate) -> dict[str, Any]:
    """Rename an eval or replace its metadata."""
    state = service(request)
    obj = _eval(state, eval_id)
    if body.name is not None:
        obj["name"] = body.name
    if body.metadata is not None:
        obj["metadata"] = body.metadata
    state.tables.put_eval(obj)
    return obj


@router.delete("/evals/{eval_id}")
async def delete_eval(request: Request, eval_id: str) -> dict[str, Any]:
    """Delete an eval, its runs and their output items (running ones are stopped)."""
    checked_id(eval_id, "eval_id")
    state = service(request)
    runs, _ = state.tables.page("runs", after=None, limit=10_000, order="asc", eval_id=eval_id)
    for run in runs:
        state.executor.cancel(run["id"])
    if not state.tables.delete_eval(eval_id):
        raise ApiError.not_found("eval", eval_id)
    return {"object": "eval.deleted", "eval_id": eval_id, "deleted": True}


# --------------------------------------------------------------------------- runs


def _run(state: Service, eval_id: str, run_id: str) -> dict[str, Any]:
    _eval(state, eval_id)
    checked_id(run_id, "run_id")
    found = state.tables.get_run(run_id)
    if found is None or found["eval_id"] != eval_id:
        raise ApiError.not_found("run", run_id)
    return found


def _report_url(state: Service, request: Request, run_id: str) -> str:
    """A freshly signed link to the run's report, which a browser opens without a token."""
    links: ReportLinks = request.app.state.report_links
    return links.url(state.config.public_url or str(request.base_url), run_id)


def _shown(state: Service, request: Request, run: dict[str, Any]) -> dict[str, Any]:
    """The run as answered: its ``report_url`` signed afresh (stored links expire)."""
    return {**run, "report_url": _report_url(state, request, run["id"])}


@router.post("/evals/{eval_id}/runs")
async def create_run(request: Request, eval_id: str, body: RunCreate) -> dict[str, Any]:
    """Start a run of the eval on a data source; poll it with ``GET``."""
    state = service(request)
    evaluation = _eval(state, eval_id)
    _check_criteria(state, evaluation["testing_criteria"])  # the policy may have changed
    source = body.data_source
    schema = item_schema(evaluation)
    check = functools.partial(read_rows, source.source, state.tables.file_content, schema)
    await bounded(check, state.config.work_timeout_s, "checking the data source", state.workers)
    if source.type != "jsonl":
        if not source.model:
            raise ApiError(400, "data_source.model: missing required field",
                           param="data_source.model")  # fmt: skip
        if source.input_messages is None:
            raise ApiError(400, "data_source.input_messages: missing required field",
                           param="data_source.input_messages")  # fmt: skip
    run_id = new_id("evalrun")
    data_source = source.model_dump(mode="json", exclude_none=True)
    obj = run_object(
        eval_id, body.name, body.metadata, data_source, _report_url(state, request, run_id), run_id
    )
    state.tables.put_run(obj)
    state.executor.submit(run_id)
    return _shown(state, request, obj)


@router.get("/evals/{eval_id}/runs")
async def list_runs(
    request: Request,
    eval_id: str,
    after: str | None = None,
    limit: Limit = 20,
    order: Order = "asc",
    status: Literal["queued", "in_progress", "completed", "canceled", "failed"] | None = None,
) -> dict[str, Any]:
    """The eval's runs, a page at a time."""
    state = service(request)
    _eval(state, eval_id)
    read = functools.partial(
        state.tables.page, "runs", after=after, limit=limit, order=order, eval_id=eval_id,
        status=status,
    )  # fmt: skip
    runs, more = _listed(read)
    return _page([_shown(state, request, run) for run in runs], more)


@router.get("/evals/{eval_id}/runs/{run_id}")
async def get_run(request: Request, eval_id: str, run_id: str) -> dict[str, Any]:
    """One run: status, counts, per-criteria results, model usage, report URL."""
    state = service(request)
    return _shown(state, request, _run(state, eval_id, run_id))


@router.post("/evals/{eval_id}/runs/{run_id}")
@router.post("/evals/{eval_id}/runs/{run_id}/cancel")
async def cancel_run(request: Request, eval_id: str, run_id: str) -> dict[str, Any]:
    """Cancel a run that has not ended (an ended run is returned as it is).

    The answer counts the items graded before the cancel: the run's work is stopped and what
    finished is stored first.
    """
    state = service(request)
    run = _run(state, eval_id, run_id)
    if run["status"] in ("queued", "in_progress"):
        run["status"] = "canceled"
        state.tables.put_run(run)
        await state.executor.stop(run_id)
        run = state.tables.get_run(run_id) or run
    return _shown(state, request, run)


@router.delete("/evals/{eval_id}/runs/{run_id}")
async def delete_run(request: Request, eval_id: str, run_id: str) -> dict[str, Any]:
    """Delete a run and its output items."""
    state = service(request)
    _run(state, eval_id, run_id)
    state.executor.cancel(run_id)
    state.tables.delete_run(run_id)
    return {"object": "eval.run.deleted", "run_id": run_id, "deleted": True}


@router.get("/evals/{eval_id}/runs/{run_id}/output_items")
async def list_output_items(
    request: Request,
    eval_id: str,
    run_id: str,
    after: str | None = None,
    limit: Limit = 20,
    order: Order = "asc",
    status: Literal["pass", "fail"] | None = None,
) -> dict[str, Any]:
    """The run's output items (graded items), a page at a time."""
    state = service(request)
    _run(state, eval_id, run_id)
    read = functools.partial(
        state.tables.output_item_page, run_id, after=after, limit=limit, order=order,
        status=status,
    )  # fmt: skip
    return _page(*_listed(read))


@router.get("/evals/{eval_id}/runs/{run_id}/output_items/{item_id}")
async def get_output_item(
    request: Request, eval_id: str, run_id: str, item_id: str
) -> dict[str, Any]:
    """One output item."""
    state = service(request)
    _run(state, eval_id, run_id)
    checked_id(item_id, "item_id")
    found = state.tables.get_output_item(run_id, item_id)
    if found is None:
        raise ApiError.not_found("output item", item_id)
    return found
