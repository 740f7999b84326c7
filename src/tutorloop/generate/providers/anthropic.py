"""The ``anthropic/<model>`` provider: the official ``anthropic`` SDK and the Messages API.

``POST {base_url}/v1/messages`` with ``x-api-key`` and ``anthropic-version``. System and developer
messages go to the request's ``system`` field; structured outputs are a forced tool use whose
``input_schema`` is the JSON Schema, read back from the ``tool_use`` block as JSON text. The
SDK's own retries are off: the Model wrapper owns retries. SDK errors become tutorloop's at this
boundary, with the key scrubbed from messages.

Needs the ``anthropic`` extra (``pip install 'tutorloop[anthropic]'``); the registry says so
when it is missing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import anthropic
from anthropic import AsyncAnthropic

from tutorloop.errors import ProviderError, ProviderUnavailable, for_http_status
from tutorloop.generate.config import ProviderSettings
from tutorloop.generate.providers.native import (
    connection_error,
    credentials,
    json_schema,
    retry_after,
    split_system,
)
from tutorloop.generate.types import GenerateRequest, GenerateResponse, TokenUsage

DEFAULT_BASE_URL = "https://api.anthropic.com"
KEY_ENVS = ("ANTHROPIC_API_KEY",)
DEFAULT_MAX_TOKENS = 4096
"""The Messages API needs ``max_tokens``: used when a request sets no ``max_output_tokens``."""


class AnthropicProvider:
    """Calls the Anthropic Messages API through ``AsyncAnthropic``."""

    name = "anthropic"

    def __init__(self, settings: ProviderSettings, timeout_s: float = 60.0) -> None:
        url = settings.url("ANTHROPIC_BASE_URL") or DEFAULT_BASE_URL
        found = credentials(self.name, settings, KEY_ENVS, url)
        self.base_url = found.base_url
        self._connection_key = found.connection_key
        self._client = AsyncAnthropic(
            api_key=found.key, base_url=found.base_url, max_retries=0, timeout=timeout_s
        )

    @property
    def connection_key(self) -> str:
        """Provider + base URL + a hash of the key."""
        return self._connection_key

    async def generate(self, request: GenerateRequest, model_name: str) -> GenerateResponse:
        """One call, mapped to tutorloop's errors."""
        system, turns = split_system(request.messages)
        extra: dict[str, Any] = {}
        if system is not None:
            extra["system"] = system
        if request.temperature is not None:
            extra["temperature"] = request.temperature
        if request.top_p is not None:
            extra["top_p"] = request.top_p
        tool: str | None = None
        if request.response_format is not None and request.response_format.get("type") != "text":
            tool, schema = json_schema(request.response_format)
            extra["tools"] = [
                {
                    "name": tool,
                    "description": "Give the answer as this tool's input.",
                    "input_schema": schema,
                }
            ]
            extra["tool_choice"] = {"type": "tool", "name": tool}
        messages: Any = [{"role": role, "content": text} for role, text in turns]
        with self._sdk_errors():
            reply = await self._client.messages.create(
                model=model_name,
                max_tokens=request.max_output_tokens or DEFAULT_MAX_TOKENS,
                messages=messages,
                **extra,
            )
        return GenerateResponse(
            text=self._text(reply, tool),
            model=reply.model or model_name,
            response_id=reply.id,
            usage=_usage(reply.usage),
        )

    def _text(self, reply: Any, tool: str | None) -> str:
        """The text blocks joined, or the forced tool's input as JSON text."""
        blocks = list(reply.content or [])
        if tool is not None:
            for block in blocks:
                if block.type == "tool_use" and block.name == tool:
                    return json.dumps(block.input, ensure_ascii=False)
        texts = [block.text for block in blocks if block.type == "text"]
        if tool is not None and not texts:
            raise ProviderUnavailable(f"{self.base_url}: the reply has no '{tool}' tool use")
        return "".join(texts)

    @contextmanager
    def _sdk_errors(self) -> Iterator[None]:
        """The SDK's errors as tutorloop's (the key never reaches a message)."""
        try:
            yield
        except anthropic.APIStatusError as exc:
            raise _status_error(exc) from exc
        except anthropic.APIConnectionError as exc:
            raise connection_error(self.base_url, exc) from exc
        except (anthropic.APIResponseValidationError, ValueError) as exc:
            raise ProviderUnavailable(f"{self.base_url}: unreadable reply: {exc}") from exc

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self._client.close()


def _usage(usage: Any) -> TokenUsage:
    """Input tokens include those read from or written to the prompt cache."""
    if usage is None:
        return TokenUsage()
    cached = (getattr(usage, "cache_read_input_tokens", None) or 0) + (
        getattr(usage, "cache_creation_input_tokens", None) or 0
    )
    return TokenUsage(
        input_tokens=(usage.input_tokens or 0) + cached, output_tokens=usage.output_tokens or 0
    )


def _status_error(exc: anthropic.APIStatusError) -> ProviderError:
    body = exc.body
    error = body.get("error") if isinstance(body, dict) else None
    detail = error.get("message") if isinstance(error, dict) else None
    kind = error.get("type") if isinstance(error, dict) else None
    return for_http_status(
        exc.status_code,
        f"HTTP {exc.status_code}: {kind + ': ' if kind else ''}{detail or exc.message}",
        retry_after=retry_after(exc.response.headers),
        hints={
            401: " (check the API key)",
            403: " (the key may lack access to this model)",
            404: " (check the model name and the base URL)",
        },
    )
