"""uvicorn's httptools protocol with a deadline on request heads (slowloris) and a size bound.

The service speaks HTTP through ``httptools`` (llhttp, in C), several times cheaper per request
than the pure-Python ``h11``. uvicorn closes idle keep-alive connections, but a client that
sends its request line and headers a byte at a time keeps a connection open forever.
:func:`guarded_httptools` makes a protocol class that gives each request head
``head_timeout_s`` seconds from the moment the connection opens (or the previous response
ends); a head still incomplete then has the connection closed. llhttp sets no limit on a head's
size, so the class also answers 431 and closes the connection when a head grows past
``max_head_bytes``.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

__all__ = ["HEAD_LIMIT_BYTES", "guarded_httptools"]

HEAD_LIMIT_BYTES = 64 * 1024
"""The largest request head (request line and headers) the service accepts."""


class _GuardedHttpTools(HttpToolsProtocol):
    head_timeout_s: float = 10.0
    max_head_bytes: int = HEAD_LIMIT_BYTES
    max_connections: int | None = None
    _head_timer: asyncio.TimerHandle | None = None
    _awaiting_head: bool = True
    _head_bytes: int = 0

    def connection_made(self, transport: Any) -> None:
        """Start the first request head's deadline."""
        super().connection_made(transport)
        self._start_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        """Drop the deadline with the connection."""
        self._stop_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        """Parse what arrived; a head growing past the bound is answered 431 and closed."""
        if self._awaiting_head:
            self._head_bytes += len(data)
        super().data_received(data)
        if (
            self._awaiting_head
            and self._head_bytes > self.max_head_bytes
            and not self.transport.is_closing()
        ):
            self._stop_head_timer()
            self.transport.write(_HEAD_TOO_LARGE)
            self.transport.close()

    def on_headers_complete(self) -> None:
        """A complete head stops its deadline; past ``max_connections`` it is answered 503."""
        self._awaiting_head = False
        self._head_bytes = 0
        self._stop_head_timer()
        if self.max_connections is not None:
            # uvicorn's own limit also counts request tasks not yet reaped, so a client asking
            # again the moment its answer arrives could be refused: count connections alone
            over = len(self.connections) > self.max_connections
            self.limit_concurrency = 0 if over else None
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        """What comes next on the connection is the next request's head."""
        super().on_message_complete()
        self._awaiting_head = True
        self._head_bytes = 0

    def on_response_complete(self) -> None:
        """The next request's head gets its own deadline (unless it has arrived already)."""
        super().on_response_complete()
        if not self.transport.is_closing() and self._awaiting_head and self._idle():
            self._start_head_timer()

    def _idle(self) -> bool:
        return (self.cycle is None or self.cycle.response_complete) and not self.pipeline

    def _start_head_timer(self) -> None:
        self._stop_head_timer()
        self._head_timer = self.loop.call_later(self.head_timeout_s, self._head_too_slow)

    def _stop_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_too_slow(self) -> None:
        self._head_timer = None
        if self._awaiting_head and self._idle() and not self.transport.is_closing():
            self.transport.close()


_HEAD_TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"content-length: 32\r\nconnection: close\r\n\r\nthe request head is too large.\r\n"
)


def guarded_httptools(
    head_timeout_s: float,
    max_head_bytes: int = HEAD_LIMIT_BYTES,
    max_connections: int | None = None,
) -> type[HttpToolsProtocol]:
    """An httptools protocol class with the head deadline and the head size bound.

    Args:
        head_timeout_s: Seconds each request head has to arrive.
        max_head_bytes: The largest head answered (more: 431, and the connection closed).
        max_connections: Connections served at once; a request on one more is answered 503
            (None: no limit).
    """
    attributes = {
        "head_timeout_s": head_timeout_s,
        "max_head_bytes": max_head_bytes,
        "max_connections": max_connections,
    }
    return type("GuardedHttpToolsProtocol", (_GuardedHttpTools,), attributes)
