"""Where the engine puts alignment rows: the run folder's store, the run's log, the counts.

Both the run and ``rejudge`` are :func:`tutorloop.run.run_async` with this sink: each batch of
rows is appended to ``partials.jsonl`` and then marked done in ``state.sqlite``
(:meth:`tutorloop.store.AlignStore.record_many`), and each row is logged. A worker's exception
becomes an error row (errors are data), except a :class:`~tutorloop.errors.UserError` such as
:class:`~tutorloop.align.scoring.FatalModelError`: a model that cannot be used stops the run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from tutorloop.errors import UserError
from tutorloop.records import AlignRow
from tutorloop.run import RunConfig
from tutorloop.store import AlignStore

__all__ = ["ROW_BY_ROW", "RowSink"]

W = TypeVar("W")

ROW_BY_ROW = RunConfig(batch_size=1)
"""How alignment runs use the engine: each row is appended and marked done as it ends, as the
benchmark runner does, so ``partials.jsonl`` shows the run's progress and a kill loses no
finished row."""


class RowSink(Generic[W]):
    """The engine's sink for one alignment run's rows (see the module docstring)."""

    def __init__(
        self,
        store: AlignStore,
        log: logging.Logger,
        error_row: Callable[[W, BaseException], AlignRow],
        *,
        resume: bool = True,
        done_message: str = "done",
        log_error_type: bool = True,
    ) -> None:
        """Write to ``store`` and ``log``; ``error_row`` turns a worker's exception into a row.

        With ``resume`` a key already in ``state.sqlite`` is skipped; without it (``rejudge``,
        whose source yields only rows that still need a verdict) every work item is done.
        ``done_message`` is logged for a row without error; ``log_error_type`` adds the error's
        type to the line of an errored row.
        """
        self.store = store
        self.log = log
        self.error_row = error_row
        self.resume = resume
        self.done_message = done_message
        self.log_error_type = log_error_type

    def is_done(self, key: str) -> bool:
        """Whether ``key`` already has its row (only when resuming)."""
        return self.resume and self.store.is_done(key)

    def failed(self, work: W, error: BaseException) -> AlignRow:
        """The error row of ``work``; a user error (a model that cannot be used) is raised."""
        if isinstance(error, UserError):
            raise error
        return self.error_row(work, error)

    def is_error(self, result: AlignRow) -> bool:
        """Whether the row records an error."""
        return bool(result.error)

    def write(self, results: list[AlignRow]) -> None:
        """Append the rows, mark their keys done, and log each."""
        self.store.record_many(results)
        for row in results:
            if row.error and self.log_error_type:
                self.log.warning("%s: %s (%s)", row.key, row.error, row.error_type)
            elif row.error:
                self.log.warning("%s: %s", row.key, row.error)
            else:
                self.log.info("%s: %s", row.key, self.done_message)

    def note(self, entry: Any) -> None:
        """Log what the source yielded that is not work."""
        self.log.warning("%s", entry)
