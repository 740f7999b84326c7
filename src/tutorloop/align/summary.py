"""The summary of an alignment run: verdict rows by category and by model × persona, and more.

Verdict rows are summarised per (category, subcategory) and per model × persona; preference
rows per model × persona.

For each group of verdict rows: ``n`` rows, ``judged`` rows with a verdict, ``errors``,
``attack_rate`` (the mean of ``attack_success`` over judged rows), ``overall_mean`` and
``safety_mean`` (means of ``overall`` and ``safety_score`` where present). For each group of
preference rows: ``n``, ``judged``, ``errors``, ``with_expected`` (judged rows whose item has an
``expected_tag``), ``tag_accuracy`` (the share of those whose ``normalized_tag`` equals it; None
when the dataset gives no expected tags), ``unknown_rate`` (the share of judged rows tagged
``desconocido``: no clear preference), ``confidence_mean`` and ``top_tags`` (the most frequent
tags with their counts). Rows are read once, streamed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict

from tutorloop.grade.judge import UNKNOWN_TAG
from tutorloop.records import AlignRow

__all__ = ["AlignSummary", "GroupStats", "PreferenceStats", "summarize_rows"]

_TOP = 3


class GroupStats(BaseModel):
    """The figures of one group of rows."""

    model_config = ConfigDict(extra="forbid")

    group: dict[str, str]
    """``{"category", "subcategory"}`` or ``{"model", "persona"}``."""
    n: int
    judged: int
    errors: int
    attack_rate: float | None
    overall_mean: float | None
    safety_mean: float | None


class PreferenceStats(BaseModel):
    """The figures of one model × persona over preference rows."""

    model_config = ConfigDict(extra="forbid")

    group: dict[str, str]
    """``{"model", "persona"}``."""
    n: int
    judged: int
    errors: int
    with_expected: int
    tag_accuracy: float | None
    """Share of judged rows with an expected tag whose normalised tag equals it."""
    unknown_rate: float | None
    confidence_mean: float | None
    top_tags: list[tuple[str, int]]


class AlignSummary(BaseModel):
    """The summary of one run."""

    model_config = ConfigDict(extra="forbid")

    run_id: str
    rows: int
    errors: int
    by_category: list[GroupStats]
    """Verdict rows only."""
    by_model_persona: list[GroupStats]
    """Verdict rows only."""
    preferences: list[PreferenceStats] = []
    """Preference rows, per model × persona."""


class _Acc:
    __slots__ = ("attacks", "errors", "judged", "n", "overall", "overall_n", "safety", "safety_n")

    def __init__(self) -> None:
        self.n = self.judged = self.errors = self.attacks = 0
        self.overall_n = self.safety_n = 0
        self.overall = self.safety = 0.0

    def add(self, row: AlignRow) -> None:
        self.n += 1
        self.errors += bool(row.error)
        if row.attack_success is not None:
            self.judged += 1
            self.attacks += row.attack_success
        if row.overall is not None:
            self.overall += row.overall
            self.overall_n += 1
        if row.safety_score is not None:
            self.safety += row.safety_score
            self.safety_n += 1

    def stats(self, group: dict[str, str]) -> GroupStats:
        return GroupStats(
            group=group,
            n=self.n,
            judged=self.judged,
            errors=self.errors,
            attack_rate=self.attacks / self.judged if self.judged else None,
            overall_mean=self.overall / self.overall_n if self.overall_n else None,
            safety_mean=self.safety / self.safety_n if self.safety_n else None,
        )


class _PrefAcc:
    __slots__ = ("confidence", "confidence_n", "correct", "errors", "expected", "judged", "n",
                 "tags", "unknown")  # fmt: skip

    def __init__(self) -> None:
        self.n = self.judged = self.errors = self.expected = self.correct = self.unknown = 0
        self.confidence_n = 0
        self.confidence = 0.0
        self.tags: Counter[str] = Counter()

    def add(self, row: AlignRow) -> None:
        self.n += 1
        self.errors += bool(row.error)
        if row.normalized_tag is None:
            return
        self.judged += 1
        self.tags[row.normalized_tag] += 1
        self.unknown += row.normalized_tag == UNKNOWN_TAG
        if row.tag_correct is not None:
            self.expected += 1
            self.correct += row.tag_correct
        if row.confidence is not None:
            self.confidence += row.confidence
            self.confidence_n += 1

    def stats(self, group: dict[str, str]) -> PreferenceStats:
        return PreferenceStats(
            group=group,
            n=self.n,
            judged=self.judged,
            errors=self.errors,
            with_expected=self.expected,
            tag_accuracy=self.correct / self.expected if self.expected else None,
            unknown_rate=self.unknown / self.judged if self.judged else None,
            confidence_mean=self.confidence / self.confidence_n if self.confidence_n else None,
            top_tags=sorted(self.tags.items(), key=lambda kv: (-kv[1], kv[0]))[:_TOP],
        )


def summarize_rows(run_id: str, rows: Iterable[AlignRow]) -> AlignSummary:
    """The summary of ``rows`` (the last row per key), groups in sorted order."""
    categories: dict[tuple[str, str], _Acc] = {}
    pairs: dict[tuple[str, str], _Acc] = {}
    preferences: dict[tuple[str, str], _PrefAcc] = {}
    n = errors = 0
    for row in rows:
        n += 1
        errors += bool(row.error)
        if row.item_kind == "preference":
            preferences.setdefault((row.model_slug, row.persona_slug), _PrefAcc()).add(row)
            continue
        categories.setdefault((row.category, row.subcategory), _Acc()).add(row)
        pairs.setdefault((row.model_slug, row.persona_slug), _Acc()).add(row)
    return AlignSummary(
        run_id=run_id,
        rows=n,
        errors=errors,
        by_category=[
            acc.stats({"category": c, "subcategory": s})
            for (c, s), acc in sorted(categories.items())
        ],
        by_model_persona=[
            acc.stats({"model": m, "persona": p}) for (m, p), acc in sorted(pairs.items())
        ],
        preferences=[
            acc.stats({"model": m, "persona": p}) for (m, p), acc in sorted(preferences.items())
        ],
    )
