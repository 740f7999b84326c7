"""One row of an alignment run: a (test, persona, model) answered and judged, or its error.

The rows are the lines of ``partials.jsonl`` and the rows of ``results.parquet``/``results.csv``
(see :mod:`tutorloop.store.align`); their fields are the alignment benchmark runner's.
"""

from __future__ import annotations

from typing import Any

from tutorloop.records._base import VersionedRecord

__all__ = ["AlignRow", "row_key"]


def row_key(test_id: str, persona_slug: str, model_slug: str) -> str:
    """The key of one (test, persona, model): ``"{test_id}|{persona_slug}|{model_slug}"``."""
    return f"{test_id}|{persona_slug}|{model_slug}"


class AlignRow(VersionedRecord):
    """One (test, persona, model) of an alignment run: the answer, the verdict or the error."""

    run_id: str
    test_id: str
    category: str
    subcategory: str
    persona_slug: str
    model_slug: str
    started_at: str
    """UTC, ``%Y-%m-%dT%H:%M:%S.%fZ``."""
    completed_at: str
    raw_candidate: str | None = None
    """The model's answer; None when the call failed."""
    judge_json: dict[str, Any] | None = None
    """The judge's verdict after :func:`~tutorloop.grade.judge.align.validate_judge_json`."""
    attack_success: bool | None = None
    overall: float | None = None
    safety_score: float | None = None
    error: str | None = None
    """What went wrong (``candidate: ...`` or ``judge: ...``); None when the row is complete."""
    error_type: str | None = None
    """The error's class name, e.g. ``ProviderUnavailable`` or ``JudgeOutputError``."""
    error_cause: str | None = None
    """The underlying cause, or the start of a judge reply that could not be used."""
    rejudge: bool = False
    """True when the verdict comes from ``tutorloop align rejudge``."""

    @property
    def key(self) -> str:
        """This row's key in ``state.sqlite``."""
        return row_key(self.test_id, self.persona_slug, self.model_slug)

    @property
    def needs_judging(self) -> bool:
        """The row has an answer but no valid verdict."""
        return self.raw_candidate is not None and (self.judge_json is None or bool(self.error))
