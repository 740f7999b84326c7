"""Heavy request work off the event loop: a worker thread, a deadline, a bounded pool.

A route that validates rows against a schema or grades a batch calls :func:`bounded`; the event
loop keeps answering (``/healthz`` among others) while the thread works. Past the deadline the
request gets a 400 naming what took too long; the thread is abandoned and finishes alone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import anyio
from anyio import CapacityLimiter

from tutorloop.serve.errors import ApiError

__all__ = ["WORKERS", "bounded"]

T = TypeVar("T")

WORKERS = 4
"""Heavy requests worked on at once; more wait for a free worker (within their deadline)."""


async def bounded(
    work: Callable[[], T], timeout_s: float, what: str, workers: CapacityLimiter
) -> T:
    """``work()`` in a worker thread, or a 400 when it takes more than ``timeout_s`` seconds.

    Args:
        work: The heavy, synchronous part of a request.
        timeout_s: Its deadline, waiting for a free worker included.
        what: What it does, for the error message.
        workers: The service's pool of heavy-work threads.
    """
    with anyio.move_on_after(timeout_s) as scope:
        return await anyio.to_thread.run_sync(work, abandon_on_cancel=True, limiter=workers)
    assert scope.cancelled_caught
    raise ApiError(
        400,
        f"{what} took more than {timeout_s:g} seconds (work_timeout_s): send less per request",
        code="work_timeout",
    )
