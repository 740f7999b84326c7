"""The ``openai/<model>`` provider: the official SDK against any OpenAI-compatible server.

Chat Completions (``api: chat``) or the Responses API (``api: responses``); structured outputs
through a JSON Schema ``response_format``. The SDK's own retries are off: the Model wrapper owns
retries. SDK errors become tutorloop's at this boundary, with the key scrubbed from messages.

With aiohttp installed (the ``openai[aiohttp]`` extra, a dependency), the two calls a replay
makes go through the lean path of :mod:`.openai_wire`: the same bytes, a fraction of the CPU;
the SDK still makes every other call and defines every error.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import openai
from openai import AsyncOpenAI
from openai.types.chat import ChatCompletion
from openai.types.responses import Response

from tutorloop.errors import (
    ConfigError,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    for_http_status,
    register_secret_env,
)
from tutorloop.generate.config import ProviderSettings
from tutorloop.generate.providers.openai_wire import (
    WireClient,
    chat_body,
    chat_fields,
    read_chat,
    read_response,
    responses_body,
    responses_fields,
)
from tutorloop.generate.types import GenerateRequest, GenerateResponse, TokenUsage

DEFAULT_BASE_URL = "https://api.openai.com/v1"


def _http_client() -> Any:
    """Aiohttp transport when installed (less CPU per call), else the SDK's default."""
    try:
        return openai.DefaultAioHttpClient()
    except Exception:
        return None


class OpenAIProvider:
    """Calls an OpenAI-compatible server through ``AsyncOpenAI``."""

    name = "openai"

    def __init__(self, settings: ProviderSettings, timeout_s: float = 60.0) -> None:
        register_secret_env(settings.api_key_env)
        key = os.environ.get(settings.api_key_env)
        if not key:
            raise ConfigError(
                f"no API key: set {settings.api_key_env} (or use a sim/... model offline)"
            )
        base_url = (
            settings.base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL
        ).rstrip("/")
        self.settings = settings
        self.base_url = base_url
        http_client = _http_client()
        self._client = AsyncOpenAI(
            api_key=key,
            base_url=base_url,
            organization=settings.organization,
            project=settings.project,
            max_retries=0,
            timeout=timeout_s,
            http_client=http_client,
        )
        self._wire = WireClient(self._client) if http_client is not None else None
        account = hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]
        self._connection_key = f"openai|{base_url}|{account}"

    @property
    def connection_key(self) -> str:
        """Provider + base URL + a hash of the key."""
        return self._connection_key

    async def generate(self, request: GenerateRequest, model_name: str) -> GenerateResponse:
        """One call, mapped to tutorloop's errors."""
        with self._sdk_errors():
            wire = self._wire
            if wire is not None:
                if self.settings.api == "responses":
                    data = await wire.post("responses", responses_body(request, model_name))
                    return read_response(data, model_name)
                data = await wire.post("chat/completions", chat_body(request, model_name))
                return read_chat(data, model_name)
            if self.settings.api == "responses":
                return await self._responses(request, model_name)
            return await self._chat(request, model_name)

    @contextmanager
    def _sdk_errors(self) -> Iterator[None]:
        """The SDK's errors as tutorloop's (the key never reaches a message)."""
        try:
            yield
        except openai.APIStatusError as exc:
            raise _status_error(exc) from exc
        except openai.APIConnectionError as exc:
            raise _connection_error(self.base_url, exc) from exc
        except (openai.APIResponseValidationError, ValueError) as exc:
            raise ProviderUnavailable(f"{self.base_url}: unreadable reply: {exc}") from exc

    async def _chat(self, request: GenerateRequest, model_name: str) -> GenerateResponse:
        fields: Any = chat_fields(request, model_name)
        completion = await self._client.chat.completions.create(**fields)
        if not isinstance(completion, ChatCompletion):  # a non-JSON body comes back as text
            raise ProviderUnavailable(f"{self.base_url}: the reply is not a chat completion")
        if not completion.choices:
            raise ProviderUnavailable(f"{self.base_url}: the reply has no choices")
        text = completion.choices[0].message.content or ""
        usage = completion.usage
        return GenerateResponse(
            text=text,
            model=completion.model or model_name,
            response_id=completion.id,
            usage=TokenUsage(
                input_tokens=usage.prompt_tokens if usage else 0,
                output_tokens=usage.completion_tokens if usage else 0,
            ),
        )

    async def _responses(self, request: GenerateRequest, model_name: str) -> GenerateResponse:
        fields: Any = responses_fields(request, model_name)
        response = await self._client.responses.create(**fields)
        if not isinstance(response, Response):
            raise ProviderUnavailable(f"{self.base_url}: the reply is not a Responses object")
        usage = response.usage
        return GenerateResponse(
            text=response.output_text,
            model=response.model or model_name,
            response_id=response.id,
            usage=TokenUsage(
                input_tokens=usage.input_tokens if usage else 0,
                output_tokens=usage.output_tokens if usage else 0,
            ),
        )

    async def embed(self, texts: list[str], model_name: str) -> list[list[float]]:
        """Embedding vectors through ``/embeddings``, mapped to tutorloop's errors."""
        with self._sdk_errors():
            result = await self._client.embeddings.create(model=model_name, input=texts)
        vectors = [list(item.embedding) for item in sorted(result.data, key=lambda d: d.index)]
        if len(vectors) != len(texts):
            raise ProviderUnavailable(
                f"{self.base_url}: {len(vectors)} embeddings for {len(texts)}"
            )
        return vectors

    async def aclose(self) -> None:
        """Close the HTTP clients."""
        if self._wire is not None:
            await self._wire.aclose()
        await self._client.close()


def _status_error(exc: openai.APIStatusError) -> ProviderError:
    return for_http_status(
        exc.status_code,
        f"HTTP {exc.status_code}: {exc.message}",
        retry_after=_retry_after(exc.response.headers),
        hints={
            401: " (check the API key)",
            403: " (the key may lack access to this model)",
            404: " (check the model name and the base URL)",
        },
    )


def _connection_error(base_url: str, exc: openai.APIConnectionError) -> ProviderError:
    """What really happened under the SDK's connection error: refused, timed out, or failed.

    The transports disagree: aiohttp's refused connection reaches the SDK as a timeout, httpx's
    as a connection error; both keep the ``ConnectionRefusedError`` in the exception chain.
    """
    causes = list(_chain(exc))
    if any(isinstance(c, ConnectionRefusedError) for c in causes):
        return ProviderUnavailable(
            f"{base_url}: connection refused (is the server running, and is the base URL right?)"
        )
    if isinstance(exc, openai.APITimeoutError):
        return ProviderTimeout(f"{base_url}: the call timed out")
    root = causes[-1] if causes else exc
    return ProviderUnavailable(f"{base_url}: connection failed: {str(root) or type(root).__name__}")


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and its causes and contexts, each once, outermost first."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _retry_after(headers: Any) -> float | None:
    for name in ("retry-after-ms", "retry-after"):
        value = headers.get(name)
        if value is None:
            continue
        try:
            seconds = float(value)
        except ValueError:
            continue
        return seconds / 1000 if name.endswith("ms") else seconds
    return None
