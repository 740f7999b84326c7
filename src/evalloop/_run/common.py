"""What every run shares: options, the report, run ids and manifests, batched store writes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from .._version import __version__
from ..errors import Problem
from ..load import Skipped, inputs_sha256
from ..records import RunManifest
from ..store import ItemOutcome, Store


class ProgressCallback(Protocol):
    """Told how many more items are done, and (for runs that call models) the cost so far."""

    def __call__(self, done: int, /, cost_usd: float | None = None) -> None:
        """``done`` more items; ``cost_usd`` is the run's spend so far, when known."""


class RunOptions(BaseModel):
    """Where a run is stored and how it writes."""

    model_config = ConfigDict(extra="forbid")

    run_id: str | None = None
    """Reuse an id to resume a run; a new id is made when absent."""
    store_path: Path | None = None
    """SQLite file; defaults to ``$EVALLOOP_HOME`` or ``./.evalloop/evalloop.db``."""
    batch_size: int = Field(default=500, ge=1)
    """Items per store transaction."""
    flush_seconds: float = Field(default=1.0, gt=0)
    """Write a partial batch when it is this old."""


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


def flush_outcomes(
    store: Store,
    run_id: str,
    batch: list[ItemOutcome],
    report: RunReport,
    progress: ProgressCallback | None,
) -> None:
    """Write a batch in one transaction; name the input duplicates the store refused."""
    if not batch:
        return
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
    if progress:
        progress(len(batch))
    batch.clear()
