"""Heuristic–judge agreement per check, from the judge's stored reviews, with Wilson intervals.

Only sessions where both the heuristic and the judge were sure are compared. The audited share
(sessions judged although every heuristic was sure) is what makes this agreement an estimate
for the sessions the judge does not see; sessions judged because a heuristic was unsure are
kept in the counts but are a biased sample, so both are reported.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pydantic import BaseModel

from tutorloop.analyse.drift import wilson_interval
from tutorloop.store import JudgeCheckCounts


class JudgeAgreement(BaseModel):
    """How often the heuristics and the judge agree on one check, for one heuristics version."""

    heuristic_version: str
    judge_model: str
    check: str
    sessions: int
    """Sessions whose check the judge reviewed."""
    audited: int
    """Of those, sessions the audit picked although the heuristics were sure."""
    compared: int
    """Sessions where both were sure (the agreement's n)."""
    agreed: int
    decided: int
    """Sessions where the heuristic was unsure and the judge decided the check."""
    rate: float | None
    """``agreed / compared``; None when nothing was compared."""
    ci_low: float | None
    ci_high: float | None
    """The 95 % Wilson score interval of ``rate``."""


def judge_agreement(counts: Iterable[JudgeCheckCounts]) -> list[JudgeAgreement]:
    """Agreement with its interval for every (heuristics version, judge, check) counted."""
    out = []
    for c in counts:
        low = high = rate = None
        if c.compared:
            rate = round(c.agreed / c.compared, 4)
            low, high = (round(x, 4) for x in wilson_interval(c.agreed, c.compared))
        out.append(
            JudgeAgreement(
                heuristic_version=c.heuristic_version,
                judge_model=c.judge_model,
                check=c.check,
                sessions=c.sessions,
                audited=c.audited,
                compared=c.compared,
                agreed=c.agreed,
                decided=c.decided,
                rate=rate,
                ci_low=low,
                ci_high=high,
            )
        )
    return out


def judge_metrics(rows: Sequence[JudgeAgreement], items: int) -> dict[str, float]:
    """Gate metrics of a run's judge reviews (absent without any: a gate on them fails closed).

    ``judge_audited`` (sessions the audit picked), ``judge_audit_share`` (of the run's items),
    ``judge_agreement.<check>`` and ``judge_agreement.<check>.ci_low`` per check, and
    ``judge_agreement_min_ci_low``: the lowest interval bound over the checks compared.
    """
    if not rows:
        return {}
    audited = max(r.audited for r in rows)
    metrics: dict[str, float] = {
        "judge_audited": float(audited),
        "judge_audit_share": audited / items if items else 0.0,
    }
    lows = []
    for r in rows:
        if r.rate is None or r.ci_low is None:
            continue
        metrics[f"judge_agreement.{r.check}"] = r.rate
        metrics[f"judge_agreement.{r.check}.ci_low"] = r.ci_low
        lows.append(r.ci_low)
    if lows:
        metrics["judge_agreement_min_ci_low"] = min(lows)
    return metrics
