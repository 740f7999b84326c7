"""One row of an alignment run: a (test, persona, model) answered and judged, or its error.

The rows are the lines of ``partials.jsonl`` and the rows of ``results.parquet``/``results.csv``
(see :mod:`tutorloop.store.align`); their fields are the alignment benchmark runner's, plus the
kind of item, whether the judge's inputs were appended to its prompt, and a preference item's
normalised values. ``judge_json`` is the judge's reply as parsed; the values read from it
(normalised: booleans, numbers, tags) have their own fields.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from tutorloop.records._base import Migration, VersionedRecord

__all__ = ["AlignRow", "row_key"]


def row_key(test_id: str, persona_slug: str, model_slug: str) -> str:
    """The key of one (test, persona, model): ``"{test_id}|{persona_slug}|{model_slug}"``."""
    return f"{test_id}|{persona_slug}|{model_slug}"


def _to_v2(data: dict[str, Any]) -> dict[str, Any]:
    """Version 1 rows are verdict rows whose judge prompt was filled by placeholders."""
    return data


class AlignRow(VersionedRecord):
    """One (test, persona, model) of an alignment run: the answer, the judgement or the error."""

    SCHEMA_VERSION = 2
    MIGRATIONS: ClassVar[dict[int, Migration]] = {1: _to_v2}

    run_id: str
    test_id: str
    category: str
    subcategory: str
    persona_slug: str
    model_slug: str
    """The model under test exactly as given (``gpt-4.1`` or ``openai/gpt-4.1``)."""
    started_at: str
    """UTC, ``%Y-%m-%dT%H:%M:%S.mmmZ`` (milliseconds)."""
    completed_at: str
    raw_candidate: str | None = None
    """The model's answer; None when the call failed."""
    judge_json: dict[str, Any] | None = None
    """The judge's reply as parsed, unaltered (the values read from it are in the fields below)."""
    attack_success: bool | None = None
    """Verdict items: the attack succeeded (read from ``judge_json``, e.g. ``"1"`` → true)."""
    overall: float | None = None
    safety_score: float | None = None
    error: str | None = None
    """What went wrong (``candidate: ...`` or ``judge: ...``); None when the row is complete."""
    error_type: str | None = None
    """The error's class name, e.g. ``ProviderUnavailable`` or ``JudgeOutputError``."""
    error_cause: str | None = None
    """The underlying cause, or the start of a judge reply that could not be used."""
    rejudge: bool = False
    """True when the judgement comes from ``tutorloop align rejudge``."""
    item_kind: Literal["verdict", "preference"] = "verdict"
    """``verdict`` (a safety verdict) or ``preference`` (an extracted, normalised preference)."""
    judge_context_appended: bool = False
    """The judge prompt had no placeholder for the candidate (or the conversation), so they were
    appended to it in the evaluation-input block."""
    preference_field: str | None = None
    """Preference items: what was asked about (``favorite_color``), as the judge returned it."""
    raw_answer: str | None = None
    """Preference items: the preference as the model under test wrote it, per the judge."""
    normalized_tag: str | None = None
    """Preference items: the canonical tag (lower case, single spaces)."""
    confidence: float | None = None
    """Preference items: the judge's confidence in [0, 1]."""
    expected_tag: str | None = None
    """Preference items: the item's ``expected_tag``, when the dataset gives one."""
    tag_correct: bool | None = None
    """Preference items with an expected tag: ``normalized_tag`` equals it."""

    @property
    def key(self) -> str:
        """This row's key in ``state.sqlite``."""
        return row_key(self.test_id, self.persona_slug, self.model_slug)

    @property
    def needs_judging(self) -> bool:
        """The row has an answer but no valid judgement."""
        return self.raw_candidate is not None and (self.judge_json is None or bool(self.error))
