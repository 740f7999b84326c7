"""The summary of an alignment run: per (category, subcategory) and per model × persona.

For each group: ``n`` rows, ``judged`` rows with a verdict, ``errors``, ``attack_rate`` (the
mean of ``attack_success`` over judged rows), ``overall_mean`` and ``safety_mean`` (means of
``overall`` and ``safety_score`` where present). Rows are read once, streamed.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict

from tutorloop.records import AlignRow

__all__ = ["AlignSummary", "GroupStats", "summarize_rows"]


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


class AlignSummary(BaseModel):
    """The summary of one run."""

    model_config = ConfigDict(extra="forbid")

    run_id: str
    rows: int
    errors: int
    by_category: list[GroupStats]
    by_model_persona: list[GroupStats]


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


def summarize_rows(run_id: str, rows: Iterable[AlignRow]) -> AlignSummary:
    """The summary of ``rows`` (the last row per key), groups in sorted order."""
    categories: dict[tuple[str, str], _Acc] = {}
    pairs: dict[tuple[str, str], _Acc] = {}
    total = _Acc()
    for row in rows:
        total.add(row)
        categories.setdefault((row.category, row.subcategory), _Acc()).add(row)
        pairs.setdefault((row.model_slug, row.persona_slug), _Acc()).add(row)
    return AlignSummary(
        run_id=run_id,
        rows=total.n,
        errors=total.errors,
        by_category=[
            acc.stats({"category": c, "subcategory": s})
            for (c, s), acc in sorted(categories.items())
        ],
        by_model_persona=[
            acc.stats({"model": m, "persona": p}) for (m, p), acc in sorted(pairs.items())
        ],
    )
