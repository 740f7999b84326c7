"""The manifest of a learned grader's model folder: what it learned, from which data, how well."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from tutorloop.records._base import VersionedRecord


class LearnedManifest(VersionedRecord):
    """``manifest.json`` beside ``model.joblib`` in a learned grader's folder."""

    SCHEMA_VERSION = 1

    name: str
    """The grader's name in agreement tables and predictions (``learned:<dimension>``)."""
    version: str
    """``learned/<implementation>+<hash of config and training data>``."""
    dimension: str
    labels: list[str]
    """The label values the classifier can answer, sorted."""
    sklearn_version: str
    tutorloop_version: str
    training_file: str
    """Name of the label file it was trained on (no directory)."""
    training_sha256: str
    """sha256 of the label file's bytes."""
    items: int
    groups: int
    """Distinct dialogues among the training items."""
    config: dict[str, Any] = Field(default_factory=dict)
    cv: dict[str, float] = Field(default_factory=dict)
    """Mean grouped cross-validation scores (``macro_f1``, ``lenient_macro_f1``, …)."""
    created_at: str
