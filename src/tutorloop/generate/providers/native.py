"""What the native adapters (``anthropic/``, ``google/``) share: keys, messages, schemas, errors.

Both APIs take the system prompt apart from the conversation and want the conversation to
alternate between the user and the model; both signal rate limits with 429 and ``Retry-After``;
both SDKs raise transport errors of their HTTP client when the connection fails. These helpers
turn tutorloop's provider-neutral request into those shapes and the failures into tutorloop's
errors, so each adapter keeps only what is its API's own.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from tutorloop.errors import (
    ConfigError,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    register_secret_env,
)
from tutorloop.generate.config import ProviderSettings
from tutorloop.generate.types import Message

Speaker = Literal["user", "assistant"]

CONVERSATION_START = "(The conversation starts.)"
"""The user turn put before a conversation whose first turn is the model's."""


@dataclass(frozen=True)
class Credentials:
    """A provider's key, where it was read from, and the connection key that shares limits."""

    key: str
    env: str
    base_url: str
    connection_key: str


def credentials(
    provider: str, settings: ProviderSettings, defaults: tuple[str, ...], base_url: str
) -> Credentials:
    """Read the key from the first set variable (never from a file or a flag).

    Raises:
        ConfigError: no variable holds a key; the message names the variables to set.
    """
    names = settings.key_envs(defaults)
    for name in names:
        register_secret_env(name)
    for name in names:
        key = os.environ.get(name)
        if key:
            account = hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]
            url = base_url.rstrip("/")
            return Credentials(key, name, url, f"{provider}|{url}|{account}")
    raise ConfigError(
        f"no API key for {provider}/ models: set {' or '.join(names)} "
        "(or use a sim/... model offline)"
    )


def split_system(messages: Sequence[Message]) -> tuple[str | None, list[tuple[Speaker, str]]]:
    """The system text (system and developer messages, joined) and the alternating turns.

    Consecutive messages of one speaker are joined with a blank line, since both APIs expect
    the user and the model to take turns, starting with the user: a conversation that starts
    with the model (a simulated learner's view, where the tutor's opening is the user's) gets
    :data:`CONVERSATION_START` as its first user turn.
    """
    system: list[str] = []
    turns: list[tuple[Speaker, str]] = []
    for message in messages:
        if message.role in ("system", "developer"):
            system.append(message.content)
            continue
        speaker: Speaker = "assistant" if message.role == "assistant" else "user"
        if turns and turns[-1][0] == speaker:
            turns[-1] = (speaker, f"{turns[-1][1]}\n\n{message.content}")
        else:
            turns.append((speaker, message.content))
    if turns and turns[0][0] == "assistant":
        turns.insert(0, ("user", CONVERSATION_START))
    return ("\n\n".join(system) if system else None), turns


def json_schema(response_format: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """The name and JSON Schema of a Chat Completions ``response_format``.

    ``{"type": "json_schema", "json_schema": {"name", "schema"}}`` gives its own; ``{"type":
    "json_object"}`` any JSON object.
    """
    spec = response_format.get("json_schema")
    if isinstance(spec, Mapping):
        schema = spec.get("schema")
        name = str(spec.get("name") or "response")
        return name, dict(schema) if isinstance(schema, Mapping) else {"type": "object"}
    return "response", {"type": "object"}


def retry_after(headers: Any) -> float | None:
    """Seconds from ``retry-after-ms`` or ``retry-after`` (numbers of seconds), if sent."""
    if headers is None:
        return None
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


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and its causes and contexts, each once, outermost first."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def connection_error(base_url: str, exc: BaseException) -> ProviderError:
    """A failed connection as tutorloop's error: refused, timed out, or failed otherwise."""
    causes = list(_chain(exc))
    if any(isinstance(c, ConnectionRefusedError) for c in causes):
        return ProviderUnavailable(
            f"{base_url}: connection refused (is the server running, and is the base URL right?)"
        )
    if any(isinstance(c, TimeoutError) or "Timeout" in type(c).__name__ for c in causes):
        return ProviderTimeout(f"{base_url}: the call timed out")
    root = causes[-1]
    return ProviderUnavailable(f"{base_url}: connection failed: {str(root) or type(root).__name__}")
