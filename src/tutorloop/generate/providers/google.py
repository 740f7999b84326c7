"""The ``google/<model>`` provider: the official ``google-genai`` SDK and the Gemini API.

``POST {base_url}/v1beta/models/{model}:generateContent`` with ``x-goog-api-key``. System and
developer messages go to ``systemInstruction``; the model's turns have the role ``model``;
structured outputs are ``responseMimeType: application/json`` with ``responseJsonSchema``. The
SDK's own retries are off (one attempt): the Model wrapper owns retries. SDK and transport
errors become tutorloop's at this boundary, with the key scrubbed from messages.

Needs the ``google`` extra (``pip install 'tutorloop[google]'``); the registry says so when it
is missing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx2
from google import genai
from google.genai import errors as genai_errors
from google.genai import types

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

DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com"
KEY_ENVS = ("GEMINI_API_KEY", "GOOGLE_API_KEY")
_TRANSPORTS = ("aiohttp", "httpx", "httpx2")
_SECONDS = re.compile(r"^\s*(\d+(?:\.\d+)?)s\s*$")


class GoogleProvider:
    """Calls the Gemini API through ``genai.Client(...).aio``."""

    name = "google"

    def __init__(self, settings: ProviderSettings, timeout_s: float = 60.0) -> None:
        url = settings.url("GOOGLE_GEMINI_BASE_URL") or DEFAULT_BASE_URL
        found = credentials(self.name, settings, KEY_ENVS, url)
        self.base_url = found.base_url
        self._connection_key = found.connection_key
        # httpx2 rather than the SDK's aiohttp session, whose subclassing aiohttp deprecates
        self._http = httpx2.AsyncClient(timeout=timeout_s)
        self._client = genai.Client(
            vertexai=False,
            api_key=found.key,
            http_options=types.HttpOptions(
                base_url=found.base_url + "/",
                api_version="v1beta",
                timeout=max(1, int(timeout_s * 1000)),
                retry_options=types.HttpRetryOptions(attempts=1),
                httpx_async_client=self._http,
            ),
        )

    @property
    def connection_key(self) -> str:
        """Provider + base URL + a hash of the key."""
        return self._connection_key

    async def generate(self, request: GenerateRequest, model_name: str) -> GenerateResponse:
        """One call, mapped to tutorloop's errors."""
        system, turns = split_system(request.messages)
        config = types.GenerateContentConfig(
            system_instruction=system,
            temperature=request.temperature,
            top_p=request.top_p,
            max_output_tokens=request.max_output_tokens,
            seed=request.seed,
        )
        if request.response_format is not None and request.response_format.get("type") != "text":
            config.response_mime_type = "application/json"
            if "json_schema" in request.response_format:  # else any JSON ("json_object")
                config.response_json_schema = json_schema(request.response_format)[1]
        contents = [
            types.Content(
                role="model" if role == "assistant" else "user", parts=[types.Part(text=text)]
            )
            for role, text in turns
        ]
        with self._sdk_errors():
            reply = await self._client.aio.models.generate_content(
                model=model_name, contents=contents, config=config
            )
        if not reply.candidates:
            blocked = reply.prompt_feedback.block_reason if reply.prompt_feedback else None
            why = f" (blocked: {blocked})" if blocked else ""
            raise ProviderUnavailable(f"{self.base_url}: the reply has no candidates{why}")
        return GenerateResponse(
            text=_text(reply),
            model=reply.model_version or model_name,
            response_id=reply.response_id,
            usage=_usage(reply.usage_metadata),
        )

    @contextmanager
    def _sdk_errors(self) -> Iterator[None]:
        """The SDK's and the transport's errors as tutorloop's (the key never in a message)."""
        try:
            yield
        except genai_errors.APIError as exc:
            raise _status_error(exc) from exc
        except (OSError, TimeoutError) as exc:
            raise connection_error(self.base_url, exc) from exc
        except Exception as exc:
            if type(exc).__module__.split(".")[0] in _TRANSPORTS:
                raise connection_error(self.base_url, exc) from exc
            if isinstance(exc, ValueError):
                raise ProviderUnavailable(f"{self.base_url}: unreadable reply: {exc}") from exc
            raise

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self._client.aio.aclose()
        await self._http.aclose()


def _text(reply: types.GenerateContentResponse) -> str:
    """The first candidate's text parts, joined (thoughts left out)."""
    candidate = reply.candidates[0] if reply.candidates else None
    content = candidate.content if candidate is not None else None
    parts = content.parts if content is not None and content.parts else []
    return "".join(part.text for part in parts if part.text and not part.thought)


def _usage(meta: types.GenerateContentResponseUsageMetadata | None) -> TokenUsage:
    """Output tokens include the model's thinking, which is billed as output."""
    if meta is None:
        return TokenUsage()
    return TokenUsage(
        input_tokens=meta.prompt_token_count or 0,
        output_tokens=(meta.candidates_token_count or 0) + (meta.thoughts_token_count or 0),
    )


def _status_error(exc: genai_errors.APIError) -> ProviderError:
    headers = getattr(exc.response, "headers", None)
    wait = retry_after(headers) if headers is not None else None
    if wait is None:
        wait = _retry_info(exc.details)
    status = f"{exc.status}: " if exc.status else ""
    return for_http_status(
        exc.code,
        f"HTTP {exc.code}: {status}{exc.message or 'no message'}",
        retry_after=wait,
        hints={
            400: " (check the request and the API key)",
            401: " (check the API key)",
            403: " (the key may lack access to this model)",
            404: " (check the model name and the base URL)",
        },
    )


def _retry_info(details: Any) -> float | None:
    """The ``retryDelay`` of a ``google.rpc.RetryInfo`` detail (e.g. ``"12s"``), if any."""
    error = details.get("error", details) if isinstance(details, dict) else None
    items = error.get("details") if isinstance(error, dict) else None
    for item in items if isinstance(items, list) else []:
        delay = item.get("retryDelay") if isinstance(item, dict) else None
        found = _SECONDS.match(delay) if isinstance(delay, str) else None
        if found:
            return float(found[1])
    return None
