"""One grader's verdict on one item of a run: the row the store and the analyses read."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from tutorloop.records._base import VersionedRecord
from tutorloop.records.result import Evidence, GraderError, Source, Verdict


class Grade(VersionedRecord):
    """One row per (run, item, grader)."""

    SCHEMA_VERSION = 1

    run_id: str
    item_key: str
    grader: str
    """Grader name, e.g. ``study_mode.diagnosis_first``."""
    grader_version: str
    score: float | None = None
    passed: bool | None = None
    verdict: Verdict | None = None
    label: str | None = None
    reason: str | None = None
    evidence: list[Evidence] = Field(default_factory=list)
    confidence: float | None = None
    source: Source = "heuristic"
    prompt_sha256: str | None = None
    error: GraderError | None = None
    extra: dict[str, Any] = Field(default_factory=dict)
