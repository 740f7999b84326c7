"""The service's gate, as one ASGI middleware: bearer-token auth, then the body-size limit.

* **Auth**: when a token is configured, every route but ``/healthz`` and ``/readyz`` needs
  ``Authorization: Bearer <token>`` (compared in constant time); otherwise 401.
* **Size**: a ``Content-Length`` above the limit is refused with 413 before the body is read; a
  chunked body is counted as it streams and refused the moment it passes the limit.

Both answers are OpenAI's error JSON. The token is never logged or echoed.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.exceptions import HTTPException

from tutorloop.serve.errors import error_body

__all__ = ["OPEN_PATHS", "Guard"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

OPEN_PATHS = frozenset({"/healthz", "/readyz"})
"""Paths that answer without a token (liveness and readiness probes)."""


class Guard:
    """Auth and body-size limit in front of ``app``."""

    def __init__(self, app: ASGIApp, *, token: str | None, max_body_bytes: int) -> None:
        self.app = app
        self._token = token.encode("utf-8") if token else None
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the request, then pass it on (or answer 401/413)."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers: dict[bytes, bytes] = dict(scope.get("headers") or [])
        guarded = self._token is not None and scope.get("path") not in OPEN_PATHS
        if guarded and not self._authorized(headers.get(b"authorization")):
            message = (
                "missing or wrong bearer token: send 'Authorization: Bearer <token>' with "
                "the token the service was started with (TUTORLOOP_API_TOKEN)"
            )
            await _answer(send, 401, message, "invalid_api_key")
            return
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body_bytes:
            await _answer(send, 413, self._too_large(), "request_too_large")
            return
        await self._limited(scope, receive, send)

    def _authorized(self, header: bytes | None) -> bool:
        if not header or self._token is None:
            return False
        scheme, _, given = header.partition(b" ")
        return scheme.lower() == b"bearer" and hmac.compare_digest(given.strip(), self._token)

    def _too_large(self) -> str:
        return (
            f"the request body is larger than the service's limit of {self.max_body_bytes} "
            "bytes (max_body_bytes): send less per request"
        )

    async def _limited(self, scope: Scope, receive: Receive, send: Send) -> None:
        seen = 0

        async def counted_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body_bytes:
                    raise HTTPException(413, detail=self._too_large())
            return message

        await self.app(scope, counted_receive, send)


async def _answer(send: Send, status: int, message: str, code: str) -> None:
    body = json.dumps(error_body(message, code=code)).encode("utf-8")
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode("ascii")),
    ]
    if status == 401:
        headers.append((b"www-authenticate", b"Bearer"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
