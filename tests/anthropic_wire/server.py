"""The Anthropic Messages API as a FastAPI app over a scripted :class:`WireState`.

Checks what the real API checks first: the key, in ``x-api-key`` or (as newer SDKs send it)
``Authorization: Bearer`` (else 401 ``authentication_error``), a dated ``anthropic-version``
(400), ``model``, ``max_tokens`` and alternating ``messages`` starting with the user (400
``invalid_request_error``). Answers with content blocks: a ``text`` block, or a ``tool_use``
block when the request forces a tool (``tool_choice: {type: tool}``) and the script gives a
JSON object. Usage counts words. Errors have the API's shape, ``{"type": "error", "error":
{"type", "message"}}``, with ``retry-after`` on a 429.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from tests.native_wire import Fault, WireState, words

KEY = "ant-" + "wire-test-key-" * 2
"""The key the fake accepts (assembled, so no key-shaped text sits in the source)."""
_VERSION = re.compile(r"^\d{4}-\d{2}-\d{2}$")

_KINDS = {
    400: "invalid_request_error",
    401: "authentication_error",
    404: "not_found_error",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}


def error(status: int, message: str, retry_after: float | None = None) -> JSONResponse:
    """An error in the Messages API's shape."""
    headers = {"retry-after": f"{retry_after:g}"} if retry_after is not None else None
    body = {"type": "error", "error": {"type": _KINDS.get(status, "api_error"), "message": message}}
    return JSONResponse(body, status_code=status, headers=headers)


def key_of(headers: Any) -> str | None:
    """The key sent as ``x-api-key`` or as a bearer token."""
    bearer = headers.get("authorization", "")
    return headers.get("x-api-key") or (bearer[7:] if bearer.startswith("Bearer ") else None)


def _invalid(body: dict[str, Any]) -> str | None:
    if not isinstance(body.get("model"), str):
        return "model: Field required"
    if not isinstance(body.get("max_tokens"), int):
        return "max_tokens: Field required"
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "messages: at least one message is required"
    for i, message in enumerate(messages):
        if message.get("role") not in ("user", "assistant"):
            return f"messages.{i}.role: Input should be 'user' or 'assistant'"
        if i and message["role"] == messages[i - 1]["role"]:
            return "messages: roles must alternate between 'user' and 'assistant'"
    if messages[0]["role"] != "user":
        return "messages: first message must use the 'user' role"
    if "system" in body and not isinstance(body["system"], str | list):
        return "system: Input should be a valid string"
    return None


def _prompt_words(body: dict[str, Any]) -> int:
    system = body.get("system") or ""
    texts = [system if isinstance(system, str) else json.dumps(system)]
    texts += [m["content"] if isinstance(m["content"], str) else "" for m in body["messages"]]
    return sum(words(t) for t in texts)


def create_app(state: WireState) -> FastAPI:
    """The fake's app."""
    app = FastAPI()

    @app.post("/v1/messages")
    async def messages(request: Request) -> JSONResponse:
        body = await request.json()
        state.record("/v1/messages", dict(request.headers), body)
        if state.key not in (request.headers.get("x-api-key"), key_of(request.headers)):
            return error(401, "invalid x-api-key")
        if not _VERSION.match(request.headers.get("anthropic-version", "")):
            return error(400, "anthropic-version: header is required")
        problem = _invalid(body)
        if problem:
            return error(400, problem)
        item = state.next()
        while isinstance(item, Fault):
            if item.delay_s:
                await asyncio.sleep(item.delay_s)
                item = state.next()
                continue
            return error(item.status, "scripted fault", item.retry_after)
        choice = body.get("tool_choice") or {}
        if choice.get("type") == "tool":
            tool = next(t for t in body.get("tools", []) if t["name"] == choice["name"])
            answer = item if isinstance(item, dict) else {"answer": item or "ok"}
            block: dict[str, Any] = {
                "type": "tool_use",
                "id": "toolu_01",
                "name": tool["name"],
                "input": answer,
            }
            out, stop = json.dumps(answer), "tool_use"
        else:
            out = item if isinstance(item, str) else "Hello from the anthropic wire."
            block, stop = {"type": "text", "text": out}, "end_turn"
        return JSONResponse(
            {
                "id": f"msg_{len(state.requests):04d}",
                "type": "message",
                "role": "assistant",
                "model": body["model"],
                "content": [block],
                "stop_reason": stop,
                "stop_sequence": None,
                "usage": {"input_tokens": _prompt_words(body), "output_tokens": words(out)},
            }
        )

    return app
