"""The client connection: sleeping until it goes away, and dropping it (``drop`` faults)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Final

from fastapi import Request

__all__ = [
    "RAW_SEND_KEY",
    "ConnectionDropped",
    "drop_connection",
    "sleep_unless_disconnected",
]

RAW_SEND_KEY: Final = "openai_wire.raw_send"
"""The scope key under which the app stores the server's own ASGI ``send`` callable."""


class ConnectionDropped(Exception):
    """Raised by a ``drop`` fault when the server gives no access to the connection.

    Under uvicorn the connection is aborted instead and this is never raised; under an
    in-memory transport (``httpx.ASGITransport``, Starlette's ``TestClient``) it surfaces
    as an exception in the client, which is the nearest equivalent of a dropped socket.
    """


async def _wait_for_disconnect(request: Request) -> None:
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            return


async def sleep_unless_disconnected(request: Request, seconds: float) -> bool:
    """Sleep ``seconds``; return True early if the client disconnects meanwhile."""
    watcher = asyncio.ensure_future(_wait_for_disconnect(request))
    try:
        done, _ = await asyncio.wait((watcher,), timeout=seconds)
    finally:
        watcher.cancel()
    return bool(done)


async def drop_connection(request: Request) -> None:
    """Abort the TCP connection of ``request`` without writing a response.

    uvicorn's ASGI ``send`` callable is a bound method of its request/response cycle, which
    holds the connection's asyncio transport; the app (``server._WireApp``) puts that callable
    in the scope. Aborting the transport makes the client see the connection close before any
    response bytes.
    """
    raw_send = request.scope.get(RAW_SEND_KEY)
    transport = getattr(getattr(raw_send, "__self__", None), "transport", None)
    if not isinstance(transport, asyncio.Transport):
        raise ConnectionDropped("openai_wire: drop fault (no transport to abort)")
    transport.abort()
    # Let uvicorn notice (connection_lost) so the response we return is discarded.
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(_wait_for_disconnect(request), timeout=1.0)
