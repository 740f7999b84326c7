"""The Gemini API's ``generateContent`` as a FastAPI app over a scripted :class:`WireState`.

Checks the ``x-goog-api-key`` header (400 ``INVALID_ARGUMENT`` "API key not valid", as the API
answers) and the ``contents`` (roles ``user`` / ``model``, parts with text). Answers with one
candidate: the scripted text, or the scripted JSON object as text when the request asks for
``responseMimeType: application/json``. ``usageMetadata`` counts words. Errors have the API's
shape, ``{"error": {"code", "message", "status"}}``, with ``Retry-After`` on a 429.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from tests.native_wire import Fault, WireState, words

KEY = "gem-" + "wire-test-key-" * 2
"""The key the fake accepts (assembled, so no key-shaped text sits in the source)."""

_STATUS = {
    400: "INVALID_ARGUMENT",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


def error(status: int, message: str, retry_after: float | None = None) -> JSONResponse:
    """An error in the Gemini API's shape."""
    headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else None
    body = {"error": {"code": status, "message": message, "status": _STATUS.get(status, "UNKNOWN")}}
    return JSONResponse(body, status_code=status, headers=headers)


def _invalid(body: dict[str, Any]) -> str | None:
    contents = body.get("contents")
    if not isinstance(contents, list) or not contents:
        return "* GenerateContentRequest.contents: contents is not specified"
    for i, content in enumerate(contents):
        if content.get("role") not in ("user", "model"):
            return f"* GenerateContentRequest.contents[{i}].role: must be 'user' or 'model'"
        parts = content.get("parts")
        if not isinstance(parts, list) or not all(isinstance(p.get("text"), str) for p in parts):
            return f"* GenerateContentRequest.contents[{i}].parts: must contain text"
    if contents[0]["role"] != "user":
        return "* GenerateContentRequest.contents: the first turn must be the user's"
    return None


def _text(content: dict[str, Any] | None) -> str:
    return " ".join(p.get("text", "") for p in (content or {}).get("parts", []))


def create_app(state: WireState) -> FastAPI:
    """The fake's app."""
    app = FastAPI()

    @app.post("/v1beta/models/{model}:generateContent")
    async def generate(model: str, request: Request) -> JSONResponse:
        body = await request.json()
        state.record(request.url.path, dict(request.headers), body)
        if request.headers.get("x-goog-api-key") != state.key:
            return error(400, "API key not valid. Please pass a valid API key.")
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
        config = body.get("generationConfig") or {}
        if config.get("responseMimeType") == "application/json":
            out = json.dumps(item if isinstance(item, dict) else {"answer": item or "ok"})
        else:
            out = item if isinstance(item, str) else "Hello from the google wire."
        prompt = _text(body.get("systemInstruction")) + " "
        prompt += " ".join(_text(c) for c in body["contents"])
        return JSONResponse(
            {
                "candidates": [
                    {
                        "content": {"role": "model", "parts": [{"text": out}]},
                        "finishReason": "STOP",
                        "index": 0,
                    }
                ],
                "usageMetadata": {
                    "promptTokenCount": words(prompt),
                    "candidatesTokenCount": words(out),
                    "totalTokenCount": words(prompt) + words(out),
                },
                "modelVersion": model,
                "responseId": f"resp-{len(state.requests):04d}",
            }
        )

    return app
