"""A FastAPI app that speaks enough of the OpenAI HTTP API for the official SDK.

Routes (all JSON, OpenAI-shaped error bodies ``{"error": {message, type, param, code}}``):

* ``POST /v1/chat/completions`` — a ``chat.completion`` object (no streaming).
* ``POST /v1/responses`` — a Responses API ``response`` object (no streaming).
* ``GET /v1/models`` and ``GET /v1/models/{id}`` — the ids in ``ServerState.models``.
* ``GET /v1/evals/{eval_id}``, ``GET /v1/evals/{eval_id}/runs`` and
  ``GET /v1/evals/{eval_id}/runs/{run_id}/output_items`` — hosted Evals objects a test puts in
  ``ServerState.evals``, ``eval_runs`` and ``eval_output_items`` (see :func:`make_eval_run`,
  :func:`make_output_item`); lists are cursor pages (``limit``, ``after``, ``order``), and an
  unknown id is a 404.
* ``POST /v1/files``, ``POST /v1/evals``, ``POST /v1/evals/{eval_id}/runs`` and
  ``GET /v1/evals/{eval_id}/runs/{run_id}`` — the hosted Evals write protocol (upload, create,
  run, poll), see :mod:`.hosted_evals_write`; multipart bodies skip the JSON parsing below.
* ``GET /_stats`` and ``POST /_reset`` — counters and reset for out-of-process users; these
  two need no key, are not counted and never see latency or faults.

Every ``/v1`` request is handled in this order:

1. it is counted and logged (``requests``, ``by_path``, ``log``, ``in_flight``);
2. ``latency_s`` is slept;
3. the next queued :class:`Fault`, if any, is consumed and applied (faults therefore
   apply before the key is checked, and an error fault does not consume a reply);
4. the ``Authorization: Bearer <key>`` header is checked (401 when missing, or when
   ``required_key`` is set and differs);
5. the request is validated and answered with the next scripted :class:`Reply`, or with
   ``responder(body)`` when the script is empty.

Token usage is predictable: a "token" is a whitespace-separated word (:func:`count_words`).
Input tokens are the words of every message / input item (and of ``instructions``); output
tokens are the words of the reply text (for a ``json_obj`` reply, of its ``json.dumps``).
A ``max_tokens`` / ``max_completion_tokens`` / ``max_output_tokens`` smaller than the reply
truncates it to that many words (joined by single spaces) and reports ``finish_reason:
"length"`` (chat) or ``status: "incomplete"`` (responses).

Sleeps (latency and ``slow`` faults) end early when the client disconnects, so a client
timeout does not leave a request "in flight" on the server; such requests are counted in
``client_disconnects``.

This module runs that pipeline and assembles the app; the pieces live in sibling modules and
its public names are re-exported here: :mod:`.faults` (``Reply``, ``Fault``), :mod:`.state`
(``ServerState``), :mod:`.request_text` (word counting, responders), :mod:`.wire_objects`
(chat / responses / model / eval-run JSON), :mod:`.hosted_evals` (the ``/v1/evals`` routes),
:mod:`.validation`, :mod:`.http_replies` and :mod:`.connection`.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Receive, Scope, Send

from .connection import RAW_SEND_KEY, ConnectionDropped, drop_connection, sleep_unless_disconnected
from .faults import Fault, FaultKind, Reply
from .hosted_evals import eval_output_items, eval_retrieve, eval_runs
from .hosted_evals_write import MULTIPART_BODY_KEY, register_hosted_writes
from .http_replies import ApiError, client_gone, error_response, json_response, request_id
from .request_text import (
    Responder,
    count_words,
    default_responder,
    last_user_text,
    message_text,
    prompt_words,
)
from .state import DEFAULT_MODELS, ServerState
from .wire_objects import (
    chat_completion,
    embeddings,
    make_eval_run,
    make_output_item,
    model_list,
    model_retrieve,
    response_object,
)

__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_MODELS",
    "ConnectionDropped",
    "Fault",
    "FaultKind",
    "Reply",
    "Responder",
    "ServerState",
    "count_words",
    "create_app",
    "default_responder",
    "last_user_text",
    "make_eval_run",
    "make_output_item",
    "message_text",
    "prompt_words",
]

DEFAULT_API_KEY: Final = "sk-openai-wire-test"
"""A key tests can pass to the SDK; any non-empty key is accepted unless ``required_key``."""

_Builder = Callable[[ServerState, dict[str, Any] | None, Request], Response]
"""A route's handler: builds the reply from the state, the parsed body and the request."""


# --------------------------------------------------------------------------- handling


async def _read_json_body(request: Request) -> tuple[dict[str, Any] | None, str | None]:
    """Parse the body as a JSON object; return ``(body, None)`` or ``(None, error)``."""
    raw = await request.body()
    try:
        body = json.loads(raw)
    except ValueError:
        return None, "The request body is not valid JSON."
    if not isinstance(body, dict):
        return None, "The request body must be a JSON object."
    return body, None


def _check_auth(state: ServerState, header: str | None) -> Response | None:
    if header is None:
        return error_response(
            401,
            "You didn't provide an API key. You need to provide your API key in an "
            "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
        )
    scheme, _, key = header.partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        return error_response(
            401, "Malformed Authorization header: expected 'Bearer <key>'.", code="invalid_api_key"
        )
    required = state.required_key
    if required is not None and not hmac.compare_digest(key.encode(), required.encode()):
        return error_response(401, "Incorrect API key provided.", code="invalid_api_key")
    return None


async def _apply_fault(fault: Fault, request: Request, state: ServerState) -> Response | None:
    """Apply ``fault``; return the reply to send, or None to continue normally."""
    if fault.kind == "slow":
        if await sleep_unless_disconnected(request, fault.delay_s):
            state.note_disconnect()
            return client_gone()
        return None
    if fault.kind == "drop":
        await drop_connection(request)
        return client_gone()
    if fault.kind == "malformed":
        headers = {"content-type": fault.content_type, "x-request-id": request_id()}
        headers.update(fault.headers)
        return Response(content=fault.body, status_code=200, headers=headers)
    headers = dict(fault.headers)
    if fault.kind == "rate_limit":
        if fault.retry_after_s is not None:
            headers.setdefault("retry-after", f"{fault.retry_after_s:g}")
        message = fault.message or "Rate limit reached for requests (openai_wire fault)."
    elif fault.kind == "server_error":
        message = fault.message or "The server had an error while processing your request."
    else:
        message = fault.message or f"Simulated HTTP {fault.status_code} (openai_wire fault)."
    return error_response(
        fault.status_code,
        message,
        error_type=fault.error_type,
        code=fault.error_code,
        headers=headers,
    )


async def _serve(state: ServerState, request: Request, build: _Builder) -> Response:
    """Run one ``/v1`` request through counting, latency, faults, auth and ``build``."""
    body: dict[str, Any] | None = None
    body_error: str | None = None
    if request.method == "POST":
        content_type = request.headers.get("content-type", "").lower()
        if content_type.startswith("multipart/form-data"):
            setattr(request.state, MULTIPART_BODY_KEY, await request.body())
        else:
            body, body_error = await _read_json_body(request)
    headers = request.headers
    entry = state.begin_request(request.scope["path"], request.method, body, headers)
    try:
        latency = state.latency_s
        if latency > 0 and await sleep_unless_disconnected(request, latency):
            state.note_disconnect()
            return client_gone()
        fault = state.take_fault()
        if fault is not None:
            entry["fault"] = fault.kind
            reply = await _apply_fault(fault, request, state)
            if reply is not None:
                return reply
        auth_error = _check_auth(state, headers.get("authorization"))
        if auth_error is not None:
            return auth_error
        if body_error is not None:
            return error_response(400, body_error)
        return build(state, body, request)
    except ApiError as exc:
        return error_response(exc.status, exc.message, param=exc.param, code=exc.code)
    finally:
        state.finish_request()


# --------------------------------------------------------------------------- app


class _WireApp(FastAPI):
    """A FastAPI app that also exposes the server's own ASGI ``send`` in the scope.

    Starlette wraps ``send`` in its middleware; the ``drop`` fault needs the server's
    original callable to reach the connection.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope[RAW_SEND_KEY] = send
        await super().__call__(scope, receive, send)


def create_app(state: ServerState) -> FastAPI:
    """Build the OpenAI-compatible app around ``state`` (also at ``app.state.wire``)."""
    app = _WireApp(title="openai_wire", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.wire = state

    async def http_error(request: Request, exc: Exception) -> Response:
        if not isinstance(exc, StarletteHTTPException):  # pragma: no cover - registration
            raise exc
        return error_response(exc.status_code, str(exc.detail), headers=dict(exc.headers or {}))

    app.add_exception_handler(StarletteHTTPException, http_error)

    @app.post("/v1/chat/completions")
    async def chat_completions(request: Request) -> Response:
        return await _serve(state, request, chat_completion)

    @app.post("/v1/responses")
    async def responses(request: Request) -> Response:
        return await _serve(state, request, response_object)

    @app.post("/v1/embeddings")
    async def embed(request: Request) -> Response:
        return await _serve(state, request, embeddings)

    @app.get("/v1/models")
    async def list_models(request: Request) -> Response:
        return await _serve(state, request, model_list)

    @app.get("/v1/models/{model_id}")
    async def retrieve_model(request: Request) -> Response:
        return await _serve(state, request, model_retrieve)

    @app.get("/v1/evals/{eval_id}")
    async def retrieve_eval(request: Request) -> Response:
        return await _serve(state, request, eval_retrieve)

    @app.get("/v1/evals/{eval_id}/runs")
    async def list_eval_runs(request: Request) -> Response:
        return await _serve(state, request, eval_runs)

    @app.get("/v1/evals/{eval_id}/runs/{run_id}/output_items")
    async def list_output_items(request: Request) -> Response:
        return await _serve(state, request, eval_output_items)

    register_hosted_writes(app, state, _serve)

    @app.get("/_stats")
    async def stats() -> Response:
        return json_response(state.stats())

    @app.post("/_reset")
    async def reset() -> Response:
        state.reset()
        return json_response(state.stats())

    return app
