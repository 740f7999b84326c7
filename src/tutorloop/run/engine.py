"""The one run loop: a lazy source of keyed work, a worker, and a sink that keeps results.

Every run in tutorloop (grading, replay, the alignment runner and its rejudge, the refusal smoke,
the Evals API executor, the Ray actors) is this loop with its own source, worker and sink:

* the **source** is a lazy iterable of work items, each with a ``key``; anything else it yields
  (a :class:`~tutorloop.errors.Problem`, a skipped file) is handed to :meth:`Sink.note` as is;
* the **worker** turns one item into one result; it may be sync or async. An exception it raises
  is turned into a result by :meth:`Sink.failed` (errors are data) and counted;
* the **sink** says which keys are done (resume skips them) and writes each batch of results
  together with their done-marks in one transaction (:meth:`Sink.write`).

At most :meth:`RunConfig.in_flight` items are in flight; results are written in batches of
:attr:`RunConfig.batch_size` or every :attr:`RunConfig.flush_seconds`, always before
they are reported done, so a run killed with -9 resumes repeating at most what was in flight or
unflushed. A cancelled run writes what finished before it stops. ``fail_on_error`` decides when
errored items fail the run (inspect's semantics): ``False`` never, ``True`` on the first, an
``int`` when more than that many errored, a ``float`` in (0, 1) when more than that share did.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import AsyncIterable, Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import anyio

from tutorloop.errors import RunFailed
from tutorloop.run.config import RunConfig, errors_exceed

W = TypeVar("W")
R = TypeVar("R")
W_contra = TypeVar("W_contra", contravariant=True)

Worker = Callable[[W], "R | Awaitable[R]"]


class Progress(Protocol):
    """Told how many more items are done; the total once it is known; the spend so far."""

    def __call__(
        self, done: int, /, total: int | None = None, cost_usd: float | None = None
    ) -> None:
        """``done`` more items (resumed ones included).

        ``total`` is every item of the run, once known; ``cost_usd`` the spend so far, when the
        run calls models.
        """


class Keyed(Protocol):
    """A work item: it has a key that names it within its run."""

    @property
    def key(self) -> str:
        """The item's key (its done-mark)."""


class Sink(Protocol[R]):
    """Where a run's results go."""

    def is_done(self, key: str) -> bool:
        """Whether ``key`` already has its result (resume skips it)."""

    def failed(self, work: Any, error: BaseException) -> R:
        """The result that records ``work`` failing with ``error`` (scrubbed of secrets)."""

    def is_error(self, result: R) -> bool:
        """Whether ``result`` records an errored item."""

    def write(self, results: list[R]) -> None:
        """Write ``results`` and their done-marks in one transaction."""

    def note(self, entry: Any) -> None:
        """Keep something the source yielded that is not work (a problem, a skipped file)."""


@dataclass
class EngineReport:
    """What one pass of the loop did."""

    worked: int = 0
    """Items worked on by this pass."""
    errored: int = 0
    """Of those, items whose result records an error."""
    resumed: int = 0
    """Items skipped because they were done before."""
    written: int = 0
    """Results handed to the sink."""
    cancelled: bool = False

    def should_fail(self, fail_on_error: bool | int | float, *, final: bool = False) -> bool:
        """Whether the errors so far fail the run under ``fail_on_error``.

        A share is judged only at the ``final`` count; ``True`` and a count as soon as passed.
        """
        return errors_exceed(self.errored, self.worked, fail_on_error, final=final)


class _Pass(Generic[R]):
    """One pass's bookkeeping: admits entries, counts results, writes them in batches."""

    def __init__(
        self, sink: Sink[R], config: RunConfig, report: EngineReport, progress: Progress | None
    ) -> None:
        self.sink, self.config, self.report, self.progress = sink, config, report, progress
        self.batch: list[R] = []
        self.since = time.monotonic()

    def add(self, result: R) -> None:
        self.batch.append(result)
        if len(self.batch) >= self.config.batch_size or (
            time.monotonic() - self.since >= self.config.flush_seconds
        ):
            self.flush()

    def flush(self) -> None:
        batch, self.batch = self.batch, []
        self.since = time.monotonic()
        if not batch:
            return
        self.sink.write(batch)
        self.report.written += len(batch)
        if self.progress:
            self.progress(len(batch))

    def admit(self, entry: Any) -> bool:
        """Whether ``entry`` is work to do; a note or a done key is handled here."""
        if not _is_work(entry):
            self.sink.note(entry)
            return False
        if self.sink.is_done(entry.key):
            self.report.resumed += 1
            if self.progress:
                self.progress(1)
            return False
        return True

    def keep(self, result: R) -> None:
        """Count ``result`` and buffer it for the next write."""
        self.report.worked += 1
        if self.sink.is_error(result):
            self.report.errored += 1
        self.add(result)


async def run_async(
    source: Iterable[Any] | AsyncIterable[Any],
    worker: Worker[Any, R],
    sink: Sink[R],
    config: RunConfig | None = None,
    progress: Progress | None = None,
    concurrency: int | None = None,
) -> EngineReport:
    """Work every item of ``source`` that ``sink`` has not done; write the results to ``sink``.

    Raises:
        RunFailed: the errored items passed ``config.fail_on_error`` (what finished is written).
    """
    config = config or RunConfig()
    report = EngineReport()
    bookkeeping = _Pass(sink, config, report, progress)
    limit = anyio.Semaphore(config.in_flight(concurrency))

    async def one(work: Any) -> None:
        try:
            try:
                outcome = worker(work)
                if inspect.isawaitable(outcome):
                    outcome = await outcome
                result: R = outcome
            except Exception as exc:
                result = sink.failed(work, exc)
            bookkeeping.keep(result)
        finally:
            limit.release()
        if report.should_fail(config.fail_on_error):
            raise RunFailed(_failure_message(report, config.fail_on_error))

    async def flush_when_old() -> None:
        """Write a waiting batch once it is ``flush_seconds`` old, even if no result follows."""
        while True:
            await anyio.sleep(config.flush_seconds)
            if bookkeeping.batch and time.monotonic() - bookkeeping.since >= config.flush_seconds:
                bookkeeping.flush()

    try:
        async with anyio.create_task_group() as outer:
            outer.start_soon(flush_when_old)
            async with anyio.create_task_group() as group:
                async for entry in _aiter(source):
                    if bookkeeping.admit(entry):
                        await limit.acquire()
                        group.start_soon(one, entry)
            outer.cancel_scope.cancel()
    except anyio.get_cancelled_exc_class():
        report.cancelled = True
        with anyio.CancelScope(shield=True):
            bookkeeping.flush()
        raise
    except BaseExceptionGroup as group_error:
        bookkeeping.flush()
        raise _first_own(group_error) from None
    bookkeeping.flush()
    if report.should_fail(config.fail_on_error, final=True):
        raise RunFailed(_failure_message(report, config.fail_on_error))
    return report


def run_sync(
    source: Iterable[Any],
    worker: Callable[[Any], R],
    sink: Sink[R],
    config: RunConfig | None = None,
    progress: Progress | None = None,
) -> EngineReport:
    """The same loop for a sync worker, one item at a time, with no event loop (the fast path)."""
    config = config or RunConfig()
    report = EngineReport()
    bookkeeping = _Pass(sink, config, report, progress)
    try:
        for entry in source:
            if not bookkeeping.admit(entry):
                continue
            try:
                result = worker(entry)
            except Exception as exc:
                result = sink.failed(entry, exc)
            bookkeeping.keep(result)
            if report.should_fail(config.fail_on_error):
                raise RunFailed(_failure_message(report, config.fail_on_error))
    finally:
        bookkeeping.flush()
    if report.should_fail(config.fail_on_error, final=True):
        raise RunFailed(_failure_message(report, config.fail_on_error))
    return report


def _is_work(entry: Any) -> bool:
    return isinstance(getattr(entry, "key", None), str)


async def _aiter(source: Iterable[Any] | AsyncIterable[Any]) -> Any:
    if isinstance(source, AsyncIterable):
        async for entry in source:
            yield entry
    else:
        for entry in source:
            yield entry


def _failure_message(report: EngineReport, threshold: bool | int | float) -> str:
    return (
        f"{report.errored} of {report.worked} item(s) errored, past fail_on_error={threshold!r}; "
        "the results so far are stored: fix the cause and run again with the same run id"
    )


def _first_own(group: BaseExceptionGroup) -> BaseException:
    """The error to raise for a failed task group: its first own error, else the group."""
    from tutorloop.errors import TutorloopError

    for exc in group.exceptions:
        if isinstance(exc, BaseExceptionGroup):
            exc = _first_own(exc)
        if isinstance(exc, TutorloopError):
            return exc
    return group.exceptions[0] if len(group.exceptions) == 1 else group
