"""Sync entry points that also work where an event loop is already running (a Jupyter cell).

``anyio.run`` refuses to start inside a running loop ("Already running asyncio in this
thread"), and a notebook cell runs inside one. :func:`run_sync_coroutine` takes the place of
``anyio.run`` in every sync façade: with no loop running here it is ``anyio.run``; inside a
running loop it runs the coroutine to completion on a worker thread with a loop of its own, and
an interrupt (Ctrl-C, a notebook's stop button) cancels it there. :func:`off_event_loop` does the
same for a blocking function that opens thread-bound resources (an SQLite connection) before it
starts its own loop: inside a running loop the whole call moves to a worker thread.

Both live here, below every stage, so that any stage can use them without an import cycle.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar, TypeVarTuple, Unpack

import anyio
from anyio.from_thread import start_blocking_portal

T = TypeVar("T")
P = ParamSpec("P")
PosArgs = TypeVarTuple("PosArgs")


def loop_running() -> bool:
    """Whether this thread is inside a running event loop (asyncio; trio when sniffio is there)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        return True
    try:
        import sniffio  # anyio's own way to tell; installed with most async libraries
    except ImportError:
        return False
    try:
        sniffio.current_async_library()
    except sniffio.AsyncLibraryNotFoundError:
        return False
    return True


def run_sync_coroutine(func: Callable[[Unpack[PosArgs]], Awaitable[T]], *args: *PosArgs) -> T:
    """Run ``func(*args)`` to completion from sync code and return its result.

    Outside an event loop this is ``anyio.run`` on asyncio. Inside one (a notebook cell, an async
    test calling sync code) the coroutine runs on a worker thread with its own loop while this
    thread waits; an interrupt while waiting cancels the coroutine, then propagates.
    """
    if not loop_running():
        return anyio.run(func, *args, backend="asyncio")
    with start_blocking_portal(backend="asyncio") as portal:
        future = portal.start_task_soon(func, *args)
        try:
            return future.result()
        except BaseException:
            future.cancel()  # a KeyboardInterrupt here: stop the work on the worker thread
            raise


def off_event_loop(func: Callable[P, T]) -> Callable[P, T]:
    """Make a blocking function that starts its own event loop callable inside a running one.

    Inside a running loop the call moves, whole, to a worker thread (where everything it opens,
    and the loop it starts, belong to that thread) and this thread waits for its result;
    elsewhere ``func`` runs as it is.
    """

    @functools.wraps(func)
    def call(*args: P.args, **kwargs: P.kwargs) -> T:
        if not loop_running():
            return func(*args, **kwargs)
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"tutorloop-{func.__name__}")
        try:
            return pool.submit(func, *args, **kwargs).result()
        finally:
            pool.shutdown(wait=False)  # after an interrupt the call finishes on its own

    return call
