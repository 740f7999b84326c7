"""What every run shares: the report, run ids and manifests."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tutorloop._version import __version__
from tutorloop.errors import Problem
from tutorloop.load import Skipped, inputs_sha256
from tutorloop.records import RunManifest


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
