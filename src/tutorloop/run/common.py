"""What every run shares: options, the report, run ids and manifests, batched store writes."""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from tutorloop._version import __version__
from tutorloop.errors import Problem
from tutorloop.load import Skipped, inputs_sha256
from tutorloop.records import RunManifest
from tutorloop.run.config import RunConfig
from tutorloop.store import ItemOutcome, Store


class ProgressCallback(Protocol):
    """Told how many more items are done, and (for runs that call models) the cost so far."""

    def __call__(self, done: int, /, cost_usd: float | None = None) -> None:
        """``done`` more items; ``cost_usd`` is the run's spend so far, when known."""


@dataclass
class RunReport:
    """What a run did: its manifest, the inputs it could not use, what it skipped."""

    manifest: RunManifest
    problems: list[Problem] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    new_items: int = 0
    resumed_items: int = 0


def new_run_id() -> str:
    """A sortable, unique run id: ``YYYYmmdd-HHMMSS-xxxxxx``."""
    return f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}"


def new_manifest(
    run_id: str, kind: str, paths: Sequence[str | Path], config: dict[str, Any]
) -> RunManifest:
    """The manifest of a new run over ``paths`` (their content hash included)."""
    return RunManifest(
        run_id=run_id,
        kind=kind,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        package_version=__version__,
        inputs=[str(p) for p in paths],
        dataset_sha256=inputs_sha256(paths),
        config=config,
    )


class OutcomeSink(Protocol):
    """Where graded outcomes go: the store (:class:`OutcomeWriter`) or a Ray worker's rows."""

    run_id: str

    def route(self, entry: Any) -> Any | None:
        """``entry`` when it must be graded, else None (it has been recorded or skipped)."""

    def add(self, outcome: ItemOutcome) -> None:
        """Keep one graded outcome."""

    def flush(self) -> None:
        """Write what is kept."""


class OutcomeWriter:
    """Where a grading run's outcomes go: batched into the store, with progress and the report.

    :meth:`route` files what is not gradable (skips, problems, stored outcomes, items already
    done) and hands back what is; :meth:`add` buffers an outcome and writes the batch, results and
    done-marks in one transaction, when it is full or old; :meth:`close` writes the rest.
    """

    def __init__(
        self,
        store: Store,
        run_id: str,
        options: RunConfig,
        report: RunReport,
        progress: ProgressCallback | None,
    ) -> None:
        self.store = store
        self.run_id = run_id
        self.options = options
        self.report = report
        self.progress = progress
        self.done = store.done_keys(run_id)
        report.resumed_items = len(self.done)
        self._batch: list[ItemOutcome] = []
        self._last_flush = time.monotonic()

    def route(self, entry: Any) -> Any | None:
        """``entry`` when it must be graded, else None (it has been recorded or skipped)."""
        if isinstance(entry, Skipped):
            self.report.skipped.append(entry)
        elif isinstance(entry, Problem):
            self.report.problems.append(entry)
        elif isinstance(entry, ItemOutcome):
            if entry.item_key not in self.done:
                self.add(entry)
        elif entry.key in self.done:
            if self.progress:
                self.progress(1)
        else:
            return entry
        return None

    def add(self, outcome: ItemOutcome) -> None:
        """Buffer ``outcome``; write the batch when it is full or older than the flush time."""
        self._batch.append(outcome)
        now = time.monotonic()
        full = len(self._batch) >= self.options.batch_size
        if full or now - self._last_flush >= self.options.flush_seconds:
            self.flush()
            self._last_flush = now

    def flush(self) -> None:
        """Write the buffered outcomes in one transaction; name duplicates the store refused."""
        batch, self._batch = self._batch, []
        if not batch:
            return
        store, run_id, report = self.store, self.run_id, self.report
        inserted = store.write_outcomes(run_id, batch)
        report.new_items += inserted
        if inserted < len(batch):
            stored = store.item_sources(run_id, [o.item_key for o in batch])
            written: set[str] = set()
            for outcome in batch:
                first = stored.get(outcome.item_key)
                if first != outcome.source or outcome.item_key in written:
                    report.problems.append(
                        Problem(
                            outcome.source or "?",
                            f"duplicate session '{outcome.item_key}' (first seen in {first}); "
                            "not graded twice",
                            field="session_id",
                            hint="session ids must be unique within one run",
                        )
                    )
                written.add(outcome.item_key)
        if self.progress:
            self.progress(len(batch))
