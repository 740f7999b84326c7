"""A replayed session: original and regenerated trajectories side by side (Study Mode format)."""

from __future__ import annotations

import hashlib
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from tutorloop.records._base import Migration, VersionedRecord
from tutorloop.records.session import Turn

Condition = Literal["human", "base", "overlay"]
Mode = Literal["teacher_forced", "free_running"]


class Usage(BaseModel):
    """Token usage of the calls that produced an artifact."""

    model_config = ConfigDict(extra="forbid")

    input_tokens: int = 0
    output_tokens: int = 0
    calls: int = 0


class RegenerationMeta(BaseModel):
    """How the regenerated trajectory was produced."""

    model_config = ConfigDict(extra="allow")

    model: str
    """``provider/model`` (or the bare model name the notebook recorded)."""
    timestamp: str | None = None
    """UTC ISO time of the replay."""
    condition: Condition = "overlay"
    """``human`` (the logged tutor), ``base`` (no overlay) or ``overlay`` (with the overlay)."""
    mode: Mode = "teacher_forced"
    """``teacher_forced``: each reply sees the logged history; ``free_running``: its own."""
    overlay_sha256: str | None = None
    """sha256 of the overlay text, when there is one."""
    persona: str | None = None
    """Simulated learner persona, in free-running mode."""
    usage: Usage | None = None
    cost_usd: float | None = None


def _from_seed(data: dict[str, Any]) -> dict[str, Any]:
    """Version 0 (the notebook's files) → 1: name the condition, mode and overlay hash."""
    meta = dict(data.get("regeneration_meta") or {})
    instructions = data.get("agent_instructions") or data.get("prompt")
    meta.setdefault("condition", "overlay" if instructions else "base")
    meta.setdefault(
        "mode", "teacher_forced"
    )  # the notebook's replay conditions on the logged history
    if instructions and "overlay_sha256" not in meta:
        meta["overlay_sha256"] = hashlib.sha256(instructions.encode("utf-8")).hexdigest()
    return {**data, "regeneration_meta": meta}


class ReplayArtifact(VersionedRecord):
    """The notebook's ``artifacts/regenerated/<session_id>.json``, extended with replay metadata."""

    SCHEMA_VERSION = 1
    LEGACY_VERSION = 0
    MIGRATIONS: ClassVar[dict[int, Migration]] = {0: _from_seed}

    session_id: str = Field(min_length=1)
    domain: str = Field(min_length=1)
    prompt: str | None = None
    """The Study Mode notebook's ``prompt`` field (null in its files)."""
    agent_instructions: str | None = None
    """The overlay (system) text the tutor ran under, if any."""
    original_trajectory: list[Turn] = Field(min_length=1)
    regenerated_trajectory: list[Turn] = Field(min_length=1)
    regeneration_meta: RegenerationMeta
