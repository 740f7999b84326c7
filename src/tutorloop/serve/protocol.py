"""uvicorn's h11 protocol with a deadline on request heads (slowloris).

uvicorn closes idle keep-alive connections, but a client that sends its request line and
headers a byte at a time keeps a connection open forever. :func:`guarded_h11` makes a protocol
class that gives each request head ``head_timeout_s`` seconds from the moment the connection
opens (or the previous response ends); a head still incomplete then has the connection closed.
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["guarded_h11"]


class _HeadDeadline(H11Protocol):
    head_timeout_s: float = 10.0
    _head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: Any) -> None:
        """Start the first request head's deadline."""
        super().connection_made(transport)
        self._start_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        """Drop the deadline with the connection."""
        self._stop_head_timer()
        super().connection_lost(exc)

    def handle_events(self) -> None:
        """Handle what arrived; a complete head stops its deadline."""
        super().handle_events()
        if self.conn.their_state is not h11.IDLE:
            self._stop_head_timer()

    def on_response_complete(self) -> None:
        """The next request's head gets its own deadline."""
        super().on_response_complete()
        if not self.transport.is_closing():
            self._start_head_timer()

    def _start_head_timer(self) -> None:
        self._stop_head_timer()
        self._head_timer = self.loop.call_later(self.head_timeout_s, self._head_too_slow)

    def _stop_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_too_slow(self) -> None:
        self._head_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()


def guarded_h11(head_timeout_s: float) -> type[H11Protocol]:
    """An h11 protocol class that closes connections whose request head is late."""
    return type("GuardedH11Protocol", (_HeadDeadline,), {"head_timeout_s": head_timeout_s})
