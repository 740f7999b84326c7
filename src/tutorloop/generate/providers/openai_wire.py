"""The lean hot path of the ``openai`` provider: chat completions and responses over aiohttp.

The official SDK spends more client CPU per call than the call's own work (its request
transform, its transport and its response models), which caps a replay at a fraction of the
concurrency it asks for. This module sends the very bytes the SDK would send for the two calls
a replay makes (the same JSON body, key order included, and the SDK's own headers, taken from
the SDK client), reads the reply with the standard JSON parser, and turns every failure into
the SDK's own exception, so the provider maps errors, ``Retry-After`` and timeouts exactly as it
does for a call made through the SDK. Everything else (embeddings, any other endpoint) stays
with the SDK.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import aiohttp
import httpx2
import openai
from openai import AsyncOpenAI

from tutorloop.generate.types import GenerateRequest, GenerateResponse, TokenUsage

_DUMPS = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode
"""The SDK's body serialiser (``openai._utils._json.openapi_dumps``) for plain JSON values."""

VOLATILE_HEADERS = frozenset({"x-stainless-retry-count", "x-stainless-read-timeout"})
"""SDK headers that vary per attempt or per call option; sent with the SDK's first-attempt
values (the provider turns the SDK's own retries off)."""


class UnreadableReply(ValueError):
    """A 2xx reply that is not the JSON object the call returns."""


def sdk_headers(client: AsyncOpenAI) -> dict[str, str]:
    """The headers the SDK sends on a first attempt, taken from the SDK client itself."""
    headers: dict[str, str] = {}
    for name, value in {**client.auth_headers, **client.default_headers}.items():
        if isinstance(value, str):  # the SDK's ``Omit()`` marks a header left out
            headers[name] = value
    headers["x-stainless-retry-count"] = "0"
    timeout = client.timeout
    read = getattr(timeout, "read", timeout)
    if isinstance(read, int | float):
        headers["x-stainless-read-timeout"] = str(read)
    return headers


def chat_body(request: GenerateRequest, model_name: str) -> bytes:
    """The chat-completions body, keys in the order the SDK writes them."""
    return _DUMPS(chat_fields(request, model_name)).encode("utf-8")


def chat_fields(request: GenerateRequest, model_name: str) -> dict[str, Any]:
    """The chat-completions parameters of ``request`` (the SDK's keyword arguments, in order)."""
    body: dict[str, Any] = {
        "model": model_name,
        "messages": [{"role": m.role, "content": m.content} for m in request.messages],
    }
    if request.max_output_tokens is not None:
        body["max_completion_tokens"] = request.max_output_tokens
    if request.response_format is not None:
        body["response_format"] = request.response_format
    if request.seed is not None:
        body["seed"] = request.seed
    if request.temperature is not None:
        body["temperature"] = request.temperature
    if request.top_p is not None:
        body["top_p"] = request.top_p
    return body


def responses_body(request: GenerateRequest, model_name: str) -> bytes:
    """The Responses API body, keys in the order the SDK writes them."""
    return _DUMPS(responses_fields(request, model_name)).encode("utf-8")


def responses_fields(request: GenerateRequest, model_name: str) -> dict[str, Any]:
    """The Responses API parameters of ``request`` (the SDK's keyword arguments, in order)."""
    body: dict[str, Any] = {
        "model": model_name,
        "input": [{"role": m.role, "content": m.content} for m in request.messages],
    }
    if request.max_output_tokens is not None:
        body["max_output_tokens"] = request.max_output_tokens
    if request.temperature is not None:
        body["temperature"] = request.temperature
    if request.response_format is not None:
        schema = request.response_format.get("json_schema", {})
        body["text"] = {"format": {"type": "json_schema", **schema}}
    if request.top_p is not None:
        body["top_p"] = request.top_p
    return body


def read_chat(data: Any, model_name: str) -> GenerateResponse:
    """A chat completion's text, model, id and usage."""
    try:
        return _read_chat(data, model_name)
    except (AttributeError, TypeError, IndexError) as exc:  # a field of the wrong shape
        raise UnreadableReply(f"the reply is not a chat completion: {exc}") from exc


def read_response(data: Any, model_name: str) -> GenerateResponse:
    """A Responses API object's output text (as the SDK's ``output_text``), model, id, usage."""
    try:
        return _read_response(data, model_name)
    except (AttributeError, TypeError) as exc:
        raise UnreadableReply(f"the reply is not a Responses object: {exc}") from exc


def _read_chat(data: Any, model_name: str) -> GenerateResponse:
    choices = data.get("choices")
    if not isinstance(choices, list):
        raise UnreadableReply("the reply is not a chat completion")
    if not choices:
        raise UnreadableReply("the reply has no choices")
    message = choices[0].get("message") or {}
    usage = data.get("usage") or {}
    return GenerateResponse(
        text=message.get("content") or "",
        model=data.get("model") or model_name,
        response_id=data.get("id"),
        usage=TokenUsage(
            input_tokens=usage.get("prompt_tokens") or 0,
            output_tokens=usage.get("completion_tokens") or 0,
        ),
    )


def _read_response(data: Any, model_name: str) -> GenerateResponse:
    output = data.get("output")
    if not isinstance(output, list):
        raise UnreadableReply("the reply is not a Responses object")
    texts = [
        part.get("text") or ""
        for item in output
        if item.get("type") == "message"
        for part in item.get("content") or ()
        if part.get("type") == "output_text"
    ]
    usage = data.get("usage") or {}
    return GenerateResponse(
        text="".join(texts),
        model=data.get("model") or model_name,
        response_id=data.get("id"),
        usage=TokenUsage(
            input_tokens=usage.get("input_tokens") or 0,
            output_tokens=usage.get("output_tokens") or 0,
        ),
    )


class WireClient:
    """POSTs JSON to an OpenAI-compatible server over one aiohttp session.

    The session is made on first use, inside the event loop; it holds no connection limit of
    its own (the Model wrapper's per-connection-key limit is the only one), so the configured
    concurrency is what is in flight.

    Args:
        client: The SDK client whose base URL, headers, timeout and error types are used.
    """

    def __init__(self, client: AsyncOpenAI) -> None:
        self._client = client
        self._base = str(client.base_url).rstrip("/")
        # the SDK's aiohttp transport says what HTTP/1.1 implies; say it too
        self._headers = {**sdk_headers(client), "Connection": "keep-alive"}
        timeout = client.timeout
        total = getattr(timeout, "read", timeout)
        self._timeout = aiohttp.ClientTimeout(
            total=float(total) if isinstance(total, int | float) else None
        )
        self._session: aiohttp.ClientSession | None = None

    @property
    def headers(self) -> Mapping[str, str]:
        """The headers every call sends."""
        return self._headers

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=0, limit_per_host=0)
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=self._timeout,
                skip_auto_headers=("User-Agent", "Content-Type"),
            )
        return self._session

    async def post(self, path: str, body: bytes) -> Any:
        """The JSON object the server answers ``body`` with; SDK exceptions on failure."""
        url = f"{self._base}/{path}"
        try:
            async with self._open().post(url, data=body, headers=self._headers) as reply:
                content = await reply.read()
                status, headers = reply.status, reply.headers
        except TimeoutError as exc:
            raise openai.APITimeoutError(request=_request(url, body)) from exc
        except aiohttp.ClientError as exc:
            raise openai.APIConnectionError(request=_request(url, body)) from exc
        if status >= 300:
            response = httpx2.Response(
                status, headers=list(headers.items()), content=content, request=_request(url, body)
            )
            raise self._client._make_status_error_from_response(response)
        if "json" not in headers.get("Content-Type", ""):
            raise UnreadableReply("the reply is not JSON")
        try:
            data = json.loads(content)
        except ValueError as exc:
            raise UnreadableReply(f"unreadable reply: {exc}") from exc
        if not isinstance(data, dict):
            raise UnreadableReply("the reply is not a JSON object")
        return data

    async def aclose(self) -> None:
        """Close the session and its connections."""
        if self._session is not None:
            await self._session.close()
            self._session = None


def _request(url: str, body: bytes) -> httpx2.Request:
    """The request an SDK exception refers to."""
    return httpx2.Request("POST", url, content=body)
