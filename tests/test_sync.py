"""Sync façades inside a running event loop, as in a Jupyter cell."""

import asyncio
import sqlite3
import threading

import anyio
import pytest

from tutorloop._sync import loop_running, off_event_loop, run_sync_coroutine


async def add(a: int, b: int) -> int:
    await anyio.sleep(0)
    return a + b


async def fail(message: str) -> None:
    await anyio.sleep(0)
    raise ValueError(message)


def test_outside_a_loop_it_is_anyio_run():
    assert not loop_running()
    assert run_sync_coroutine(add, 2, 3) == 5


def test_inside_a_running_loop_the_coroutine_runs_on_a_worker_thread():
    async def cell() -> tuple[int, bool]:
        assert loop_running()
        with pytest.raises(RuntimeError, match="Already running"):
            anyio.run(add, 1, 1)  # what the façades did before
        return run_sync_coroutine(add, 2, 3), loop_running()

    assert asyncio.run(cell()) == (5, True)


def test_errors_reach_the_caller_inside_a_loop_too():
    async def cell() -> None:
        run_sync_coroutine(fail, "bad row")

    with pytest.raises(ValueError, match="bad row"):
        asyncio.run(cell())


def test_off_event_loop_moves_the_whole_call_when_a_loop_runs(tmp_path):
    caller = threading.get_ident()

    @off_event_loop
    def work(path: str) -> tuple[int, bool]:
        conn = sqlite3.connect(path)  # thread-bound: opened and used on the same thread
        try:
            conn.execute("create table t (x)")
            conn.execute("insert into t values (?)", (anyio.run(add, 20, 22),))
            (value,) = conn.execute("select x from t").fetchone()
        finally:
            conn.close()
        return value, threading.get_ident() == caller

    assert work(str(tmp_path / "a.db")) == (42, True)

    async def cell() -> tuple[int, bool]:
        return work(str(tmp_path / "b.db"))

    assert asyncio.run(cell()) == (42, False)
    assert work.__name__ == "work"


def test_an_interrupt_inside_a_loop_cancels_the_work_on_the_worker_thread():
    """Ctrl-C (a notebook's stop button) while a sync façade waits: the coroutine is cancelled."""
    import signal

    main = threading.main_thread().ident
    assert main is not None
    started, cancelled = threading.Event(), threading.Event()

    async def long_work() -> None:
        started.set()
        try:
            await anyio.sleep(60)
        except anyio.get_cancelled_exc_class():
            cancelled.set()
            raise

    def interrupt() -> None:
        if started.wait(timeout=60):
            signal.pthread_kill(main, signal.SIGINT)  # what Ctrl-C sends the main thread

    async def cell() -> None:
        threading.Thread(target=interrupt, daemon=True).start()
        run_sync_coroutine(long_work)

    loop = asyncio.new_event_loop()  # as a kernel runs it: no asyncio.run SIGINT handler
    try:
        with pytest.raises(KeyboardInterrupt):
            loop.run_until_complete(cell())
    finally:
        loop.close()
    assert cancelled.is_set()
