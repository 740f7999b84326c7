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
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Receive, Scope, Send

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

DEFAULT_MODELS: Final = ("gpt-4o-mini", "gpt-4.1-mini", "gpt-5-mini")
"""Model ids listed by ``GET /v1/models`` by default."""

Responder = Callable[[dict[str, Any]], str]
"""Computes the reply text from the parsed JSON request body (chat or responses shape)."""

FaultKind = Literal["rate_limit", "server_error", "status", "slow", "malformed", "drop"]

_RAW_SEND_KEY: Final = "openai_wire.raw_send"
_SECRET_HEADERS: Final = frozenset({"authorization", "api-key"})
_DEFAULT_MALFORMED_BODY: Final = b'{"id": "chatcmpl-truncated", "object": "chat.completion", "cho'


# --------------------------------------------------------------------------- text helpers


def count_words(text: str) -> int:
    """The server's token count: the number of whitespace-separated words in ``text``."""
    return len(text.split())


def message_text(content: Any) -> str:
    """The text of a message ``content``: a string, or a list of parts that carry ``text``.

    Parts such as ``{"type": "text", "text": ...}`` (chat) or ``{"type": "input_text",
    "text": ...}`` (responses) are joined with single spaces; anything else counts as empty.
    """
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(
            part["text"]
            for part in content
            if isinstance(part, dict) and isinstance(part.get("text"), str)
        )
    return ""


def prompt_words(body: Mapping[str, Any]) -> int:
    """Input-token count of a chat (``messages``) or responses (``input``) request body."""
    total = 0
    for key in ("messages", "input"):
        items = body.get(key)
        if isinstance(items, str):
            total += count_words(items)
        elif isinstance(items, list):
            total += sum(
                count_words(message_text(item.get("content")))
                for item in items
                if isinstance(item, dict)
            )
    instructions = body.get("instructions")
    if isinstance(instructions, str):
        total += count_words(instructions)
    return total


def last_user_text(body: Mapping[str, Any]) -> str:
    """The text of the last user message of a chat or responses request body ("" if none)."""
    items = body.get("messages", body.get("input"))
    if isinstance(items, str):
        return items
    if isinstance(items, list):
        for item in reversed(items):
            if isinstance(item, dict) and item.get("role") == "user":
                return message_text(item.get("content"))
    return ""


def default_responder(body: dict[str, Any]) -> str:
    """The default reply: ``"reply to: "`` + the first 60 characters of the last user text."""
    return f"reply to: {last_user_text(body)[:60]}"


# --------------------------------------------------------------------------- script items


@dataclass(frozen=True, slots=True)
class Reply:
    """One scripted reply: either plain ``text`` or a ``json_obj`` sent as JSON text.

    A JSON ``null`` cannot be scripted (``json_obj=None`` means "no object").
    """

    text: str | None = None
    json_obj: Any = None

    def __post_init__(self) -> None:
        if (self.text is None) == (self.json_obj is None):
            raise ValueError("a Reply carries exactly one of text= or json_obj=")

    def content(self) -> str:
        """The assistant message content this reply produces."""
        if self.text is not None:
            return self.text
        return json.dumps(self.json_obj)


@dataclass(frozen=True, slots=True)
class Fault:
    """One injected fault, consumed by the next ``/v1`` request.

    Build faults with the class methods rather than by hand:

    * :meth:`rate_limit` — HTTP 429 with ``Retry-After`` and an OpenAI error body;
    * :meth:`server_error` — HTTP 500 (or another 5xx) with an OpenAI error body;
    * :meth:`http_status` — any 4xx/5xx status with an OpenAI error body (kind ``status``);
    * :meth:`slow` — sleep ``delay_s`` seconds, then answer normally;
    * :meth:`malformed` — HTTP 200 whose body is not valid JSON;
    * :meth:`drop` — close the TCP connection without sending any HTTP response.

    Attributes:
        kind: Which fault this is.
        status_code: The HTTP status for ``rate_limit``, ``server_error`` and ``status``.
        retry_after_s: ``Retry-After`` value in seconds for ``rate_limit`` (None: no header).
        delay_s: How long ``slow`` sleeps before answering.
        message: The error message (a kind-specific default when None).
        error_type: The error body's ``type`` (derived from the status when None).
        error_code: The error body's ``code``.
        body: The raw body of a ``malformed`` reply.
        content_type: The ``Content-Type`` of a ``malformed`` reply.
        headers: Extra response headers (e.g. ``{"x-should-retry": "false"}``).
    """

    kind: FaultKind
    status_code: int = 500
    retry_after_s: float | None = None
    delay_s: float = 0.0
    message: str | None = None
    error_type: str | None = None
    error_code: str | None = None
    body: bytes = _DEFAULT_MALFORMED_BODY
    content_type: str = "application/json"
    headers: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 400 <= self.status_code <= 599:
            raise ValueError(f"status_code must be a 4xx/5xx status, got {self.status_code}")
        if self.delay_s < 0:
            raise ValueError("delay_s must be >= 0")
        if self.retry_after_s is not None and self.retry_after_s < 0:
            raise ValueError("retry_after_s must be >= 0")

    @classmethod
    def rate_limit(
        cls,
        retry_after_s: float | None = 1.0,
        *,
        message: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Fault:
        """HTTP 429 with ``Retry-After: <retry_after_s>`` (omitted when None)."""
        return cls(
            "rate_limit",
            status_code=429,
            retry_after_s=retry_after_s,
            message=message,
            error_code="rate_limit_exceeded",
            headers=dict(headers or {}),
        )

    @classmethod
    def server_error(
        cls,
        status_code: int = 500,
        *,
        message: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Fault:
        """A 5xx reply (default 500) with an OpenAI error body."""
        if status_code < 500:
            raise ValueError("server_error needs a 5xx status; use Fault.http_status")
        return cls(
            "server_error", status_code=status_code, message=message, headers=dict(headers or {})
        )

    @classmethod
    def http_status(
        cls,
        status_code: int,
        *,
        message: str | None = None,
        error_type: str | None = None,
        error_code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Fault:
        """Any 4xx/5xx reply (kind ``status``), e.g. 400, 401, 403, 404, 409, 422."""
        return cls(
            "status",
            status_code=status_code,
            message=message,
            error_type=error_type,
            error_code=error_code,
            headers=dict(headers or {}),
        )

    @classmethod
    def slow(cls, delay_s: float) -> Fault:
        """Sleep ``delay_s`` seconds (ending early if the client leaves), then answer normally."""
        return cls("slow", delay_s=delay_s)

    @classmethod
    def malformed(
        cls, body: bytes | str = _DEFAULT_MALFORMED_BODY, *, content_type: str = "application/json"
    ) -> Fault:
        """HTTP 200 with ``body`` (default: truncated JSON) and the given ``Content-Type``."""
        raw = body.encode("utf-8") if isinstance(body, str) else body
        return cls("malformed", body=raw, content_type=content_type)

    @classmethod
    def drop(cls) -> Fault:
        """Close the connection without sending any HTTP response."""
        return cls("drop")


# --------------------------------------------------------------------------- state


class ServerState:
    """Scripted behaviour and counters of one server, shared with the test thread.

    Every mutation goes through ``lock`` (a :class:`threading.Lock`): the app runs on the
    uvicorn thread while tests script and read it from their own thread. Plain attribute
    writes (``state.latency_s = 0.2``) are fine too.

    Attributes:
        latency_s: Seconds slept before handling each ``/v1`` request.
        responder: Computes the reply text when no scripted reply is queued.
        required_key: When set, any other bearer key gets a 401.
        models: Model ids listed by ``GET /v1/models``.
        replies: Scripted replies, consumed in order by successful chat/responses calls.
        faults: Queued faults, consumed one per ``/v1`` request.
        requests: Number of ``/v1`` requests received (including failed ones).
        by_path: Requests per path.
        log: One dict per request: ``path``, ``method``, ``model``, ``messages`` / ``input``,
            ``instructions``, ``body`` (the parsed JSON), ``headers`` (lower-cased, without
            ``authorization`` / ``api-key``), ``auth_present`` and ``fault`` (kind or None).
        in_flight: Requests currently being handled.
        peak_in_flight: Highest ``in_flight`` seen since the last reset.
        client_disconnects: Requests whose client went away during a sleep.
        last_auth_present: Whether the last request carried an ``Authorization`` header
            (None before the first request). The header value itself is never stored.
        evals: Hosted eval objects by id (``GET /v1/evals/{id}``), as the API returns them.
        eval_runs: Runs of each eval id, oldest first (``GET /v1/evals/{id}/runs``).
        eval_output_items: Output items of each run id, in order
            (``GET /v1/evals/{id}/runs/{run_id}/output_items``).
    """

    def __init__(
        self,
        *,
        latency_s: float = 0.0,
        responder: Responder | None = None,
        required_key: str | None = None,
        models: Sequence[str] = DEFAULT_MODELS,
    ) -> None:
        self.lock = threading.Lock()
        self._initial: tuple[float, Responder, str | None] = (
            latency_s,
            responder or default_responder,
            required_key,
        )
        self.latency_s = latency_s
        self.responder: Responder = responder or default_responder
        self.required_key = required_key
        self.models: tuple[str, ...] = tuple(models)
        self.replies: list[Reply] = []
        self.faults: list[Fault] = []
        self.requests = 0
        self.by_path: Counter[str] = Counter()
        self.log: list[dict[str, Any]] = []
        self.in_flight = 0
        self.peak_in_flight = 0
        self.client_disconnects = 0
        self.last_auth_present: bool | None = None
        self.evals: dict[str, dict[str, Any]] = {}
        self.eval_runs: dict[str, list[dict[str, Any]]] = {}
        self.eval_output_items: dict[str, list[dict[str, Any]]] = {}

    # -- scripting (test side) ---------------------------------------------------------

    def push_replies(self, *replies: Reply | str) -> None:
        """Queue replies; a plain string is shorthand for ``Reply(text=...)``."""
        items = [Reply(text=r) if isinstance(r, str) else r for r in replies]
        with self.lock:
            self.replies.extend(items)

    def push_faults(self, *faults: Fault) -> None:
        """Queue faults; each is consumed by one ``/v1`` request, in order."""
        with self.lock:
            self.faults.extend(faults)

    def reset(self) -> None:
        """Clear script, faults and counters; restore latency, responder and required key.

        ``in_flight`` is kept (those requests are still running) and ``peak_in_flight``
        restarts from it.
        """
        with self.lock:
            self.latency_s, self.responder, self.required_key = self._initial
            self.replies.clear()
            self.faults.clear()
            self.requests = 0
            self.by_path.clear()
            self.log.clear()
            self.peak_in_flight = self.in_flight
            self.client_disconnects = 0
            self.last_auth_present = None
            self.evals.clear()
            self.eval_runs.clear()
            self.eval_output_items.clear()

    def stats(self) -> dict[str, Any]:
        """A JSON-ready snapshot of the counters (what ``GET /_stats`` returns)."""
        with self.lock:
            return {
                "requests": self.requests,
                "peak_in_flight": self.peak_in_flight,
                "in_flight": self.in_flight,
                "by_path": dict(self.by_path),
                "client_disconnects": self.client_disconnects,
                "faults_pending": len(self.faults),
                "replies_pending": len(self.replies),
            }

    # -- serving (app side) ------------------------------------------------------------

    def begin_request(
        self, path: str, method: str, body: dict[str, Any] | None, headers: Mapping[str, str]
    ) -> dict[str, Any]:
        """Count and log a request, mark it in flight, and return its (mutable) log entry."""
        auth_present = "authorization" in headers
        entry: dict[str, Any] = {
            "path": path,
            "method": method,
            "model": body.get("model") if body else None,
            "body": body,
            "headers": {k: v for k, v in headers.items() if k.lower() not in _SECRET_HEADERS},
            "auth_present": auth_present,
            "fault": None,
        }
        if body is not None:
            for key in ("messages", "input", "instructions"):
                if key in body:
                    entry[key] = body[key]
        with self.lock:
            self.requests += 1
            self.by_path[path] += 1
            self.log.append(entry)
            self.last_auth_present = auth_present
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        return entry

    def finish_request(self) -> None:
        """Mark a request begun with :meth:`begin_request` as finished."""
        with self.lock:
            self.in_flight -= 1

    def note_disconnect(self) -> None:
        """Count a client that went away before its reply."""
        with self.lock:
            self.client_disconnects += 1

    def take_fault(self) -> Fault | None:
        """Pop the next queued fault, if any."""
        with self.lock:
            return self.faults.pop(0) if self.faults else None

    def next_reply_text(self, body: dict[str, Any]) -> str:
        """Pop the next scripted reply's content, or compute one with ``responder``."""
        with self.lock:
            scripted = self.replies.pop(0) if self.replies else None
            responder = self.responder
        if scripted is not None:
            return scripted.content()
        return responder(body)


# --------------------------------------------------------------------------- responses


class ConnectionDropped(Exception):
    """Raised by a ``drop`` fault when the server gives no access to the connection.

    Under uvicorn the connection is aborted instead and this is never raised; under an
    in-memory transport (``httpx.ASGITransport``, Starlette's ``TestClient``) it surfaces
    as an exception in the client, which is the nearest equivalent of a dropped socket.
    """


class _ApiError(Exception):
    """An OpenAI-shaped error reply, raised by request validation."""

    def __init__(
        self, status: int, message: str, *, param: str | None = None, code: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.param = param
        self.code = code


def _error_type(status: int) -> str:
    if status == 429:
        return "requests"
    if status >= 500:
        return "server_error"
    return "invalid_request_error"


def _request_id() -> str:
    return f"req_{uuid.uuid4().hex}"


def _json_response(
    payload: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    all_headers = {"x-request-id": _request_id()}
    if headers:
        all_headers.update(headers)
    return Response(
        content=json.dumps(payload, separators=(",", ":")).encode("utf-8"),
        status_code=status,
        media_type="application/json",
        headers=all_headers,
    )


def _error_response(
    status: int,
    message: str,
    *,
    error_type: str | None = None,
    param: str | None = None,
    code: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    error = {
        "message": message,
        "type": error_type or _error_type(status),
        "param": param,
        "code": code,
    }
    return _json_response({"error": error}, status, headers)


def _client_gone() -> Response:
    """A reply for a client that already disconnected; the server discards it."""
    return Response(status_code=499)


# --------------------------------------------------------------------------- connection


async def _wait_for_disconnect(request: Request) -> None:
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            return


async def _sleep_unless_disconnected(request: Request, seconds: float) -> bool:
    """Sleep ``seconds``; return True early if the client disconnects meanwhile."""
    watcher = asyncio.ensure_future(_wait_for_disconnect(request))
    try:
        done, _ = await asyncio.wait((watcher,), timeout=seconds)
    finally:
        watcher.cancel()
    return bool(done)


async def _drop_connection(request: Request) -> None:
    """Abort the TCP connection of ``request`` without writing a response.

    uvicorn's ASGI ``send`` callable is a bound method of its request/response cycle, which
    holds the connection's asyncio transport; :class:`_WireApp` puts that callable in the
    scope. Aborting the transport makes the client see the connection close before any
    response bytes.
    """
    raw_send = request.scope.get(_RAW_SEND_KEY)
    transport = getattr(getattr(raw_send, "__self__", None), "transport", None)
    if not isinstance(transport, asyncio.Transport):
        raise ConnectionDropped("openai_wire: drop fault (no transport to abort)")
    transport.abort()
    # Let uvicorn notice (connection_lost) so the response we return is discarded.
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(_wait_for_disconnect(request), timeout=1.0)


# --------------------------------------------------------------------------- validation


def _require_str(body: Mapping[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value:
        raise _ApiError(400, f"Missing required parameter: '{key}'.", param=key)
    return value


def _reject_streaming(body: Mapping[str, Any]) -> None:
    if body.get("stream"):
        raise _ApiError(
            400,
            "Streaming is not supported by the openai_wire test server.",
            param="stream",
            code="unsupported_value",
        )


def _check_temperature(body: Mapping[str, Any]) -> None:
    value = body.get("temperature")
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 2:
        raise _ApiError(
            400,
            f"Invalid 'temperature': expected a number between 0 and 2, got {value!r}.",
            param="temperature",
            code="invalid_value",
        )


def _token_limit(body: Mapping[str, Any], *keys: str) -> int | None:
    for key in keys:
        value = body.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise _ApiError(
                400,
                f"Invalid '{key}': expected a positive integer, got {value!r}.",
                param=key,
                code="invalid_value",
            )
        return value
    return None


def _truncate(text: str, limit: int | None) -> tuple[str, bool]:
    if limit is None:
        return text, False
    words = text.split()
    if len(words) <= limit:
        return text, False
    return " ".join(words[:limit]), True


def _require_body(body: dict[str, Any] | None) -> dict[str, Any]:
    if body is None:
        raise _ApiError(400, "A JSON request body is required.")
    return body


# --------------------------------------------------------------------------- builders

_Builder = Callable[[ServerState, dict[str, Any] | None, Request], Response]


def _chat_completion(state: ServerState, raw: dict[str, Any] | None, _: Request) -> Response:
    body = _require_body(raw)
    model = _require_str(body, "model")
    messages = body.get("messages")
    if (
        not isinstance(messages, list)
        or not messages
        or not all(isinstance(m, dict) for m in messages)
    ):
        raise _ApiError(
            400, "'messages' must be a non-empty array of message objects.", param="messages"
        )
    _reject_streaming(body)
    if body.get("n") not in (None, 1):
        raise _ApiError(400, "Only n=1 is supported by the openai_wire test server.", param="n")
    _check_temperature(body)
    limit = _token_limit(body, "max_completion_tokens", "max_tokens")
    text, truncated = _truncate(state.next_reply_text(body), limit)
    prompt_tokens = prompt_words(body)
    completion_tokens = count_words(text)
    payload = {
        "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": text,
                    "refusal": None,
                    "annotations": [],
                },
                "logprobs": None,
                "finish_reason": "length" if truncated else "stop",
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": 0,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        },
        "service_tier": "default",
        "system_fingerprint": "fp_openai_wire",
    }
    return _json_response(payload)


def _check_responses_input(body: Mapping[str, Any]) -> None:
    value = body.get("input")
    if isinstance(value, str):
        return
    if isinstance(value, list) and all(isinstance(item, dict) for item in value):
        return
    raise _ApiError(400, "'input' must be a string or an array of input items.", param="input")


def _text_config(body: Mapping[str, Any]) -> dict[str, Any]:
    config = body.get("text")
    if config is None:
        return {"format": {"type": "text"}}
    if not isinstance(config, dict):
        raise _ApiError(400, "'text' must be an object.", param="text")
    fmt = config.get("format")
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        for key in ("name", "schema"):
            if key not in fmt:
                raise _ApiError(
                    400,
                    f"Missing required parameter: 'text.format.{key}'.",
                    param=f"text.format.{key}",
                )
    return config


def _response_object(state: ServerState, raw: dict[str, Any] | None, _: Request) -> Response:
    body = _require_body(raw)
    model = _require_str(body, "model")
    _check_responses_input(body)
    instructions = body.get("instructions")
    if instructions is not None and not isinstance(instructions, str):
        raise _ApiError(400, "'instructions' must be a string.", param="instructions")
    _reject_streaming(body)
    _check_temperature(body)
    text_config = _text_config(body)
    limit = _token_limit(body, "max_output_tokens")
    text, truncated = _truncate(state.next_reply_text(body), limit)
    input_tokens = prompt_words(body)
    output_tokens = count_words(text)
    now = int(time.time())
    status = "incomplete" if truncated else "completed"
    payload = {
        "id": f"resp_{uuid.uuid4().hex}",
        "object": "response",
        "created_at": now,
        "completed_at": None if truncated else now,
        "status": status,
        "error": None,
        "incomplete_details": {"reason": "max_output_tokens"} if truncated else None,
        "instructions": instructions,
        "max_output_tokens": limit,
        "metadata": body.get("metadata") or {},
        "model": model,
        "output": [
            {
                "type": "message",
                "id": f"msg_{uuid.uuid4().hex}",
                "status": status,
                "role": "assistant",
                "content": [
                    {"type": "output_text", "text": text, "annotations": [], "logprobs": []}
                ],
            }
        ],
        "parallel_tool_calls": body.get("parallel_tool_calls", True),
        "previous_response_id": body.get("previous_response_id"),
        "reasoning": {"effort": None, "summary": None},
        "service_tier": "default",
        "store": body.get("store", True),
        "temperature": body.get("temperature", 1.0),
        "text": text_config,
        "tool_choice": body.get("tool_choice", "auto"),
        "tools": body.get("tools", []),
        "top_p": body.get("top_p", 1.0),
        "truncation": body.get("truncation", "disabled"),
        "usage": {
            "input_tokens": input_tokens,
            "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
            "output_tokens": output_tokens,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": input_tokens + output_tokens,
        },
        "user": None,
    }
    return _json_response(payload)


def _model_object(model_id: str) -> dict[str, Any]:
    return {"id": model_id, "object": "model", "created": 1_700_000_000, "owned_by": "openai-wire"}


def _model_list(state: ServerState, _body: dict[str, Any] | None, _: Request) -> Response:
    return _json_response({"object": "list", "data": [_model_object(m) for m in state.models]})


def _model_retrieve(state: ServerState, _body: dict[str, Any] | None, request: Request) -> Response:
    model_id = str(request.path_params["model_id"])
    if model_id not in state.models:
        raise _ApiError(
            404, f"The model '{model_id}' does not exist.", param="model", code="model_not_found"
        )
    return _json_response(_model_object(model_id))


# --------------------------------------------------------------------------- hosted evals


def make_eval_run(eval_id: str, run_id: str, **overrides: Any) -> dict[str, Any]:
    """A completed ``eval.run`` object (a ``jsonl`` file-content data source); ``overrides`` win."""
    run: dict[str, Any] = {
        "id": run_id,
        "object": "eval.run",
        "created_at": 1_760_000_000,
        "eval_id": eval_id,
        "name": f"run {run_id}",
        "status": "completed",
        "model": "gpt-4.1-mini",
        "metadata": {},
        "error": {"code": "", "message": ""},
        "data_source": {"type": "jsonl", "source": {"type": "file_content", "content": []}},
        "per_model_usage": [],
        "per_testing_criteria_results": [],
        "report_url": f"https://platform.openai.com/evaluations/{eval_id}?run_id={run_id}",
        "result_counts": {"errored": 0, "failed": 0, "passed": 0, "total": 0},
    }
    return run | overrides


def make_output_item(
    eval_id: str,
    run_id: str,
    index: int,
    item: dict[str, Any],
    *,
    output_text: str | None = None,
    results: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """An ``eval.run.output_item`` for ``item``: id ``outitem_<run_id>_<index>``.

    ``output_text`` becomes one assistant output message of the sample (none when None);
    ``status`` is ``pass`` when every result passed, else ``fail``.
    """
    output = [] if output_text is None else [{"role": "assistant", "content": output_text}]
    return {
        "id": f"outitem_{run_id}_{index}",
        "object": "eval.run.output_item",
        "created_at": 1_760_000_000 + index,
        "eval_id": eval_id,
        "run_id": run_id,
        "datasource_item_id": index,
        "datasource_item": item,
        "status": "pass" if all(r.get("passed") for r in results) else "fail",
        "results": list(results),
        "sample": {
            "error": {"code": "", "message": ""},
            "finish_reason": "stop" if output else "",
            "input": [],
            "max_completion_tokens": 0,
            "model": "gpt-4.1-mini",
            "output": output,
            "seed": 0,
            "temperature": 1.0,
            "top_p": 1.0,
            "usage": {
                "cached_tokens": 0,
                "completion_tokens": 0,
                "prompt_tokens": 0,
                "total_tokens": 0,
            },
        },
    }


def _cursor_page(objects: list[dict[str, Any]], request: Request) -> Response:
    """A list object of ``objects``: ``limit`` (1-100, default 20), ``after``, ``order``."""
    query = request.query_params
    try:
        limit = int(query.get("limit", "20"))
    except ValueError:
        limit = 0
    if not 1 <= limit <= 100:
        raise _ApiError(400, "Invalid 'limit': expected an integer in [1, 100].", param="limit")
    order = query.get("order", "asc")
    if order not in ("asc", "desc"):
        raise _ApiError(400, "Invalid 'order': expected 'asc' or 'desc'.", param="order")
    ordered = objects if order == "asc" else objects[::-1]
    status = query.get("status")
    if status is not None:
        ordered = [o for o in ordered if o.get("status") == status]
    start = 0
    after = query.get("after")
    if after is not None:
        ids = [o["id"] for o in ordered]
        if after not in ids:
            raise _ApiError(400, f"Invalid 'after': no object with id '{after}'.", param="after")
        start = ids.index(after) + 1
    page = ordered[start : start + limit]
    return _json_response(
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
        raise _ApiError(404, f"Eval with id '{eval_id}' not found.", param="eval_id")
    return found


def _eval_retrieve(state: ServerState, _body: dict[str, Any] | None, request: Request) -> Response:
    return _json_response(_known_eval(state, str(request.path_params["eval_id"])))


def _eval_runs(state: ServerState, _body: dict[str, Any] | None, request: Request) -> Response:
    eval_id = str(request.path_params["eval_id"])
    _known_eval(state, eval_id)
    with state.lock:
        runs = list(state.eval_runs.get(eval_id, []))
    return _cursor_page(runs, request)


def _eval_output_items(
    state: ServerState, _body: dict[str, Any] | None, request: Request
) -> Response:
    eval_id = str(request.path_params["eval_id"])
    run_id = str(request.path_params["run_id"])
    _known_eval(state, eval_id)
    with state.lock:
        known = any(r.get("id") == run_id for r in state.eval_runs.get(eval_id, []))
        items = list(state.eval_output_items.get(run_id, []))
    if not known:
        raise _ApiError(404, f"Run with id '{run_id}' not found.", param="run_id")
    return _cursor_page(items, request)


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
        return _error_response(
            401,
            "You didn't provide an API key. You need to provide your API key in an "
            "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
        )
    scheme, _, key = header.partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        return _error_response(
            401, "Malformed Authorization header: expected 'Bearer <key>'.", code="invalid_api_key"
        )
    required = state.required_key
    if required is not None and not hmac.compare_digest(key.encode(), required.encode()):
        return _error_response(401, "Incorrect API key provided.", code="invalid_api_key")
    return None


async def _apply_fault(fault: Fault, request: Request, state: ServerState) -> Response | None:
    """Apply ``fault``; return the reply to send, or None to continue normally."""
    if fault.kind == "slow":
        if await _sleep_unless_disconnected(request, fault.delay_s):
            state.note_disconnect()
            return _client_gone()
        return None
    if fault.kind == "drop":
        await _drop_connection(request)
        return _client_gone()
    if fault.kind == "malformed":
        headers = {"content-type": fault.content_type, "x-request-id": _request_id()}
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
    return _error_response(
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
        body, body_error = await _read_json_body(request)
    headers = request.headers
    entry = state.begin_request(request.scope["path"], request.method, body, headers)
    try:
        latency = state.latency_s
        if latency > 0 and await _sleep_unless_disconnected(request, latency):
            state.note_disconnect()
            return _client_gone()
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
            return _error_response(400, body_error)
        return build(state, body, request)
    except _ApiError as exc:
        return _error_response(exc.status, exc.message, param=exc.param, code=exc.code)
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
            scope[_RAW_SEND_KEY] = send
        await super().__call__(scope, receive, send)


def create_app(state: ServerState) -> FastAPI:
    """Build the OpenAI-compatible app around ``state`` (also at ``app.state.wire``)."""
    app = _WireApp(title="openai_wire", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.wire = state

    async def http_error(request: Request, exc: Exception) -> Response:
        if not isinstance(exc, StarletteHTTPException):  # pragma: no cover - registration
            raise exc
        return _error_response(exc.status_code, str(exc.detail), headers=dict(exc.headers or {}))

    app.add_exception_handler(StarletteHTTPException, http_error)

    @app.post("/v1/chat/completions")
    async def chat_completions(request: Request) -> Response:
        return await _serve(state, request, _chat_completion)

    @app.post("/v1/responses")
    async def responses(request: Request) -> Response:
        return await _serve(state, request, _response_object)

    @app.get("/v1/models")
    async def list_models(request: Request) -> Response:
        return await _serve(state, request, _model_list)

    @app.get("/v1/models/{model_id}")
    async def retrieve_model(request: Request) -> Response:
        return await _serve(state, request, _model_retrieve)

    @app.get("/v1/evals/{eval_id}")
    async def retrieve_eval(request: Request) -> Response:
        return await _serve(state, request, _eval_retrieve)

    @app.get("/v1/evals/{eval_id}/runs")
    async def list_eval_runs(request: Request) -> Response:
        return await _serve(state, request, _eval_runs)

    @app.get("/v1/evals/{eval_id}/runs/{run_id}/output_items")
    async def list_output_items(request: Request) -> Response:
        return await _serve(state, request, _eval_output_items)

    @app.get("/_stats")
    async def stats() -> Response:
        return _json_response(state.stats())

    @app.post("/_reset")
    async def reset() -> Response:
        state.reset()
        return _json_response(state.stats())

    return app
