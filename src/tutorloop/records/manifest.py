"""What a run was: its id, config, inputs, versions, timing and counts."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tutorloop.records._base import VersionedRecord

RunStatus = Literal["running", "completed", "failed", "interrupted"]


class RunCounts(BaseModel):
    """How many items a run has seen, finished, failed on and escalated."""

    model_config = ConfigDict(extra="forbid")

    items: int = 0
    done: int = 0
    errored: int = 0
    escalated: int = 0


class RunManifest(VersionedRecord):
    """The manifest of one run, written beside its exports."""

    SCHEMA_VERSION = 1

    run_id: str
    kind: str = "grade"
    status: RunStatus = "running"
    created_at: str
    finished_at: str | None = None
    package_version: str
    inputs: list[str] = Field(default_factory=list)
    dataset_sha256: str | None = None
    """sha256 over the canonical JSON of every item, in input order."""
    config: dict[str, Any] = Field(default_factory=dict)
    counts: RunCounts = Field(default_factory=RunCounts)
    cost_usd: float = 0.0
    """What the run's priced model calls cost, in USD."""
    unpriced_models: list[str] = Field(default_factory=list)
    """Models the run called whose price is unknown: their calls are not in ``cost_usd``."""
