"""The hosted Evals write routes: upload a file, create an eval, create and poll a run.

* ``POST /v1/files`` — multipart (``purpose``, ``file``); stores the bytes and answers a
  ``file`` object.
* ``POST /v1/evals`` — a ``custom`` data source config and ``testing_criteria``; stores and
  answers the ``eval`` object (so ``GET /v1/evals/{id}`` serves it too).
* ``POST /v1/evals/{id}/runs`` — a ``responses`` data source over an uploaded file
  (``source: {type: file_id}``) with a ``template`` of input messages. The run is answered
  ``queued`` and "run" at once: for each non-blank JSONL line ``{"item": {...}}`` the
  template is rendered (``{{ item.x }}``), ``ServerState.responder`` gets a Responses-shaped
  body ``{"model", "input": [messages]}`` and its text is the sample's ``output_text``; every
  ``string_check`` criterion (``eq``, ``ne``, ``like``, ``ilike``, on the rendered ``input``
  and ``reference``) must pass for the item to pass. A line that is not such a record, a
  template naming a missing field or a responder that raises makes the item errored.
* ``GET /v1/evals/{id}/runs/{run_id}`` — the run. A created run reports ``in_progress``
  until it has been retrieved ``run_polls_to_finish`` times, then its final status with
  ``result_counts`` (and its output items become listable); see the ``ServerState`` knobs
  ``run_final_status``, ``run_never_finishes``, ``run_zero_items`` and ``hosted_errors``.

Objects follow the SDK's types (``FileObject``, ``EvalCreateResponse``,
``RunCreateResponse``, ``RunRetrieveResponse``); the file's ``purpose`` is echoed as sent
(``evals``), which the SDK's ``FileObject`` literal does not list.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from email import policy
from email.parser import BytesParser
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response

from .http_replies import ApiError, json_response
from .state import ServerState
from .wire_objects import make_eval_run, make_output_item

__all__ = ["MULTIPART_BODY_KEY", "register_hosted_writes"]

MULTIPART_BODY_KEY = "raw_multipart_body"
"""``request.state`` attribute where the server's pipeline leaves a multipart body."""

Serve = Callable[[ServerState, Request, Callable[..., Response]], Awaitable[Response]]
_ITEM_FIELD = re.compile(r"\{\{\s*item\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_SAMPLE_TEXT = re.compile(r"\{\{\s*sample\.output_text\s*\}\}")


def register_hosted_writes(app: FastAPI, state: ServerState, serve: Serve) -> None:
    """Add the four routes to ``app``; ``serve`` is the server's request pipeline."""

    @app.post("/v1/files")
    async def files_create(request: Request) -> Response:
        return await serve(state, request, file_create)

    @app.post("/v1/evals")
    async def evals_create(request: Request) -> Response:
        return await serve(state, request, eval_create)

    @app.post("/v1/evals/{eval_id}/runs")
    async def runs_create(request: Request) -> Response:
        return await serve(state, request, run_create)

    @app.get("/v1/evals/{eval_id}/runs/{run_id}")
    async def runs_retrieve(request: Request) -> Response:
        return await serve(state, request, run_retrieve)


def _knob_error(state: ServerState, operation: str) -> None:
    with state.lock:
        status = state.hosted_errors.get(operation)
    if status is not None:
        raise ApiError(status, f"openai_wire: {operation} is set to fail with HTTP {status}.")


# --------------------------------------------------------------------------- files


def _form_parts(request: Request) -> dict[str, tuple[str | None, bytes]]:
    """``name → (filename, bytes)`` of a multipart/form-data body."""
    raw = getattr(request.state, MULTIPART_BODY_KEY, None)
    content_type = request.headers.get("content-type", "")
    if raw is None or not content_type.lower().startswith("multipart/form-data"):
        raise ApiError(400, "Expected a multipart/form-data body.")
    head = f"Content-Type: {content_type}\r\n\r\n".encode("latin-1")
    message = BytesParser(policy=policy.HTTP).parsebytes(head + raw)
    parts: dict[str, tuple[str | None, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if isinstance(name, str) and isinstance(payload, bytes):
            parts[name] = (part.get_filename(), payload)
    return parts


def file_create(state: ServerState, _body: dict[str, Any] | None, request: Request) -> Response:
    _knob_error(state, "files.create")
    parts = _form_parts(request)
    purpose = parts.get("purpose", (None, b""))[1].decode("utf-8", errors="replace")
    if not purpose:
        raise ApiError(400, "Missing required parameter: 'purpose'.", param="purpose")
    if "file" not in parts:
        raise ApiError(400, "Missing required parameter: 'file'.", param="file")
    filename, content = parts["file"]
    file_id = f"file-{uuid.uuid4().hex[:24]}"
    obj = {
        "id": file_id,
        "object": "file",
        "bytes": len(content),
        "created_at": int(time.time()),
        "filename": filename or "upload",
        "purpose": purpose,
        "status": "processed",
        "expires_at": None,
        "status_details": None,
    }
    with state.lock:
        state.files[file_id] = obj
        state.file_contents[file_id] = content
    return json_response(obj)


# --------------------------------------------------------------------------- evals


def eval_create(state: ServerState, body: dict[str, Any] | None, _: Request) -> Response:
    _knob_error(state, "evals.create")
    body = body or {}
    config = body.get("data_source_config")
    if not isinstance(config, dict) or config.get("type") != "custom":
        raise ApiError(
            400, "'data_source_config' must be a custom config.", param="data_source_config"
        )
    item_schema = config.get("item_schema")
    if not isinstance(item_schema, dict):
        raise ApiError(400, "'item_schema' must be an object.", param="data_source_config")
    criteria = body.get("testing_criteria")
    if not isinstance(criteria, list) or not criteria:
        raise ApiError(
            400, "'testing_criteria' must be a non-empty array.", param="testing_criteria"
        )
    properties: dict[str, Any] = {"item": item_schema}
    if config.get("include_sample_schema"):
        properties["sample"] = {"type": "object", "properties": {"output_text": {"type": "string"}}}
    eval_id = f"eval_{uuid.uuid4().hex[:24]}"
    obj = {
        "id": eval_id,
        "object": "eval",
        "created_at": int(time.time()),
        "name": body.get("name") or "",
        "metadata": body.get("metadata") or {},
        "data_source_config": {
            "type": "custom",
            "schema": {"type": "object", "properties": properties, "required": list(properties)},
        },
        "testing_criteria": criteria,
    }
    with state.lock:
        state.evals[eval_id] = obj
        state.eval_runs.setdefault(eval_id, [])
    return json_response(obj)


# --------------------------------------------------------------------------- runs


def _render(template: str, item: dict[str, Any], output_text: str | None = None) -> str:
    def field(match: re.Match[str]) -> str:
        if match[1] not in item:
            raise KeyError(match[1])
        value = item[match[1]]
        return value if isinstance(value, str) else json.dumps(value)

    text = _ITEM_FIELD.sub(field, template)
    if output_text is not None:
        text = _SAMPLE_TEXT.sub(lambda _: output_text, text)
    return text


def _string_check(criterion: dict[str, Any], item: dict[str, Any], output: str) -> bool:
    text = _render(str(criterion.get("input", "")), item, output)
    reference = _render(str(criterion.get("reference", "")), item, output)
    operation = criterion.get("operation")
    if operation == "eq":
        return text == reference
    if operation == "ne":
        return text != reference
    if operation == "like":
        return reference in text
    if operation == "ilike":
        return reference.casefold() in text.casefold()
    raise ValueError(f"unknown string_check operation {operation!r}")


def _grade_file(
    state: ServerState, content: bytes, template: list[dict[str, Any]], model: str,
    criteria: list[dict[str, Any]], ids: tuple[str, str],
) -> tuple[dict[str, int], list[dict[str, Any]], list[dict[str, Any]]]:  # fmt: skip
    """Counts, output items and per-criterion results of one run over the file's lines."""
    counts = {"total": 0, "passed": 0, "failed": 0, "errored": 0}
    per_criterion = {str(c.get("name")): [0, 0] for c in criteria}
    items: list[dict[str, Any]] = []
    lines = [line for line in content.decode("utf-8", errors="replace").split("\n") if line.strip()]
    for index, line in enumerate(lines):
        counts["total"] += 1
        try:
            record = json.loads(line)
            item = record["item"] if isinstance(record, dict) else None
            if not isinstance(item, dict):
                raise ValueError("not an {item: ...} record")
            messages = [
                {"role": m.get("role"), "content": _render(str(m.get("content", "")), item)}
                for m in template
            ]
            output = state.responder({"model": model, "input": messages})
            results = []
            for criterion in criteria:
                if criterion.get("type") != "string_check":
                    raise ValueError(f"unsupported grader {criterion.get('type')!r}")
                passed = _string_check(criterion, item, output)
                name = str(criterion.get("name"))
                per_criterion[name][0 if passed else 1] += 1
                results.append({"name": name, "type": "string_check", "passed": passed,
                                "score": 1.0 if passed else 0.0})  # fmt: skip
        except Exception:
            counts["errored"] += 1
            continue
        ok = all(r["passed"] for r in results)
        counts["passed" if ok else "failed"] += 1
        items.append(make_output_item(*ids, index, item, output_text=output, results=results))
    summary = [
        {"testing_criteria": name, "passed": p, "failed": f}
        for name, (p, f) in per_criterion.items()
    ]
    return counts, items, summary


def run_create(state: ServerState, body: dict[str, Any] | None, request: Request) -> Response:
    _knob_error(state, "runs.create")
    eval_id = str(request.path_params["eval_id"])
    with state.lock:
        evaluation = state.evals.get(eval_id)
    if evaluation is None:
        raise ApiError(404, f"Eval with id '{eval_id}' not found.", param="eval_id")
    body = body or {}
    source = body.get("data_source")
    if not isinstance(source, dict) or source.get("type") != "responses":
        raise ApiError(400, "'data_source' must be a responses data source.", param="data_source")
    file_ref = source.get("source") or {}
    file_id = file_ref.get("id") if file_ref.get("type") == "file_id" else None
    with state.lock:
        content = state.file_contents.get(str(file_id))
    if content is None:
        raise ApiError(400, f"No file with id '{file_id}'.", param="data_source.source.id")
    messages = source.get("input_messages") or {}
    template = messages.get("template") if messages.get("type") == "template" else None
    if not isinstance(template, list) or not all(isinstance(m, dict) for m in template):
        raise ApiError(400, "'input_messages' must be a template.", param="input_messages")
    model = str(source.get("model") or "")
    if not model:
        raise ApiError(400, "Missing required parameter: 'model'.", param="data_source.model")
    run_id = f"evalrun_{uuid.uuid4().hex[:24]}"
    counts, items, per_criterion = _grade_file(
        state, content, template, model, list(evaluation["testing_criteria"]), (eval_id, run_id)
    )
    run = make_eval_run(
        eval_id,
        run_id,
        name=body.get("name") or f"run {run_id}",
        status="queued",
        model=model,
        metadata=body.get("metadata") or {},
        data_source=source,
        created_at=int(time.time()),
    )
    with state.lock:
        state.eval_runs.setdefault(eval_id, []).append(run)
        state.run_progress[run_id] = {
            "polls": 0, "counts": counts, "output_items": items, "per_criterion": per_criterion,
        }  # fmt: skip
        reply = dict(run)
    return json_response(reply)


def run_retrieve(state: ServerState, _body: dict[str, Any] | None, request: Request) -> Response:
    _knob_error(state, "runs.retrieve")
    eval_id = str(request.path_params["eval_id"])
    run_id = str(request.path_params["run_id"])
    with state.lock:
        if eval_id not in state.evals:
            raise ApiError(404, f"Eval with id '{eval_id}' not found.", param="eval_id")
        run = next((r for r in state.eval_runs.get(eval_id, []) if r.get("id") == run_id), None)
        if run is None:
            raise ApiError(404, f"Run with id '{run_id}' not found.", param="run_id")
        progress = state.run_progress.get(run_id)
        if progress is not None and run["status"] not in ("completed", "failed", "canceled"):
            progress["polls"] += 1
            if state.run_never_finishes or progress["polls"] < state.run_polls_to_finish:
                run["status"] = "in_progress"
            else:
                _finish(state, run, progress)
        reply = dict(run)
    return json_response(reply)


def _finish(state: ServerState, run: dict[str, Any], progress: dict[str, Any]) -> None:
    """Give ``run`` its final status and counts (called with the state's lock held)."""
    final = state.run_final_status
    run["status"] = final
    zero = {"total": 0, "passed": 0, "failed": 0, "errored": 0}
    if final == "failed":
        run["error"] = {"code": "run_failed", "message": "openai_wire: the run was made to fail"}
        run["result_counts"] = zero
        return
    if state.run_zero_items:
        run["result_counts"] = zero
        return
    run["result_counts"] = dict(progress["counts"])
    run["per_testing_criteria_results"] = progress["per_criterion"]
    state.eval_output_items[run["id"]] = list(progress["output_items"])
