"""The items a test scripts into the server: :class:`Reply` and :class:`Fault`.

Replies are consumed by successful chat / responses calls; faults are consumed one per
``/v1`` request, before the key is checked (see :mod:`tests.openai_wire.server`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

__all__ = ["Fault", "FaultKind", "Reply"]

FaultKind = Literal["rate_limit", "server_error", "status", "slow", "malformed", "drop"]

_DEFAULT_MALFORMED_BODY: Final = b'{"id": "chatcmpl-truncated", "object": "chat.completion", "cho'


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
