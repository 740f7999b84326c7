"""A run's summary, aggregated in one streaming pass over its stored results."""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from pydantic import BaseModel, Field

from tutorloop.records import SEVERITY_ORDER, EvalResult, StudyModeCheck


class CheckRate(BaseModel):
    """How one check went across a run (or one condition of it)."""

    passed: int = 0
    failed: int = 0
    unsure: int = 0

    @property
    def total(self) -> int:
        """Items the check ran on."""
        return self.passed + self.failed + self.unsure

    @property
    def pass_rate(self) -> float:
        """Share of items whose check passed (unsure counts by its best answer)."""
        return self.passed / self.total if self.total else 0.0


class GraderRate(BaseModel):
    """How one testing-criteria or learned grader went across a run."""

    passed: int = 0
    failed: int = 0
    errored: int = 0
    score_sum: float = 0.0
    scored: int = 0

    @property
    def mean_score(self) -> float | None:
        """Mean score over the items it scored."""
        return self.score_sum / self.scored if self.scored else None


class QueueEntry(BaseModel):
    """One escalated session in the review queue."""

    item_key: str
    session_id: str
    condition: str | None
    severity: str | None
    fidelity: float
    failures: list[str]
    reasons: list[str]


class ConditionSummary(BaseModel):
    """Aggregates of one condition (``human``, ``base``, ``overlay``, or ``-`` for sessions)."""

    items: int = 0
    fidelity_mean: float = 0.0
    escalated: int = 0
    checks: dict[str, CheckRate] = Field(default_factory=dict)
    failures: dict[str, int] = Field(default_factory=dict)


class RunSummary(BaseModel):
    """What a person and a gate need to know about a run."""

    run_id: str
    items: int = 0
    errored: int = 0
    escalated: int = 0
    fidelity_mean: float = 0.0
    checks: dict[str, CheckRate] = Field(default_factory=dict)
    failures: dict[str, int] = Field(default_factory=dict)
    failures_escalated: dict[str, int] = Field(default_factory=dict)
    """Per failure class, how many sessions with it were escalated."""
    conditions: dict[str, ConditionSummary] = Field(default_factory=dict)
    domains: dict[str, int] = Field(default_factory=dict)
    graders: dict[str, GraderRate] = Field(default_factory=dict)
    """Per testing-criteria or learned grader: passes, failures, errors, mean score."""
    judged: int = 0
    """Items where the structured judge decided at least one check (its verdict was used)."""
    judge_reviewed: int = 0
    """Items the judge reviewed: unsure, audited, or all judged (``EvalResult.judge``)."""
    judge_audited: int = 0
    """Items the judge reviewed because the seeded audit picked them."""
    judge_errors: int = 0
    """Items where the judge was asked and failed (an escalation reason says so)."""
    grader_errors: int = 0
    """Items where at least one testing-criteria grader errored."""
    dashboard: dict[str, float] = Field(default_factory=dict)
    """The Study Mode dashboard: % diagnosis first, questions per tutor turn, % reinforcement."""
    queue: list[QueueEntry] = Field(default_factory=list)
    """Escalated sessions, most severe first (capped)."""
    sessions: list[QueueEntry] = Field(default_factory=list)
    """The first sessions in input order (capped), escalated or not."""


@dataclass
class _Accumulator:
    items: int = 0
    fidelity_sum: float = 0.0
    escalated: int = 0
    checks: dict[str, CheckRate] = field(default_factory=lambda: defaultdict(CheckRate))
    failures: Counter[str] = field(default_factory=Counter)
    failures_escalated: Counter[str] = field(default_factory=Counter)

    def add(self, result: EvalResult) -> None:
        self.items += 1
        self.fidelity_sum += result.pedagogical_fidelity_score
        self.escalated += result.escalate
        for check in result.checks:
            rate = self.checks[check.name]
            if check.verdict == "unsure":
                rate.unsure += 1
            elif check.passed:
                rate.passed += 1
            else:
                rate.failed += 1
        self.failures.update(f.name for f in result.failures)
        if result.escalate:
            self.failures_escalated.update(f.name for f in result.failures)

    def condition(self) -> ConditionSummary:
        return ConditionSummary(
            items=self.items,
            fidelity_mean=self.fidelity_sum / self.items if self.items else 0.0,
            escalated=self.escalated,
            checks=dict(self.checks),
            failures=dict(self.failures),
        )


def summarize(
    run_id: str,
    results: Iterable[tuple[str, EvalResult | None]],
    *,
    queue_size: int = 200,
    session_rows: int = 50,
) -> RunSummary:
    """Aggregate ``(item_key, result or None for an errored item)`` pairs in one pass."""
    total = _Accumulator()
    by_condition: dict[str, _Accumulator] = defaultdict(_Accumulator)
    domains: Counter[str] = Counter()
    errored = 0
    questions = 0.0
    queue: list[tuple[int, float, int, QueueEntry]] = []
    graders: dict[str, GraderRate] = defaultdict(GraderRate)
    judged = judge_errors = grader_errors = reviewed = audited = 0
    sessions: list[QueueEntry] = []
    for seq, (key, result) in enumerate(results):
        if result is None:
            errored += 1
            continue
        total.add(result)
        by_condition[result.condition or "-"].add(result)
        domains[(result.domain or "?").split(".")[0]] += 1
        questions += result.metrics.get("questions_per_tutor_turn", 0.0)
        review = result.judge
        if review is not None:
            judged += bool(review.decided)
            reviewed += 1
            audited += review.because == "audit"
        else:
            judged += any(c.source == "judge" for c in result.checks)
        messages = [r.message for r in result.escalation_reasons if r.code == "grader_error"]
        judge_errors += any(m.startswith("judge ") for m in messages)
        grader_errors += any(o.error is not None for o in result.graders)
        for outcome in result.graders:
            rate = graders[outcome.name]
            if outcome.error is not None:
                rate.errored += 1
                continue
            if outcome.passed is not None:
                rate.passed += outcome.passed
                rate.failed += not outcome.passed
            if outcome.score is not None:
                rate.score_sum += outcome.score
                rate.scored += 1
        entry = _entry(key, result)
        if len(sessions) < session_rows:
            sessions.append(entry)
        if result.escalate:
            rank = (
                SEVERITY_ORDER.get(result.severity or "", 0),
                -result.pedagogical_fidelity_score,
            )
            pushed = (rank[0], rank[1], -seq, entry)
            if len(queue) < queue_size:
                heapq.heappush(queue, pushed)
            else:
                heapq.heappushpop(queue, pushed)
    summary = total.condition()
    n = summary.items
    diagnosis = summary.checks.get(StudyModeCheck.DIAGNOSIS_FIRST, CheckRate())
    reinforce = summary.checks.get(StudyModeCheck.CHECK_REINFORCE, CheckRate())
    return RunSummary(
        run_id=run_id,
        items=n,
        errored=errored,
        escalated=summary.escalated,
        fidelity_mean=summary.fidelity_mean,
        checks=summary.checks,
        failures=summary.failures,
        failures_escalated=dict(total.failures_escalated),
        conditions={name: acc.condition() for name, acc in sorted(by_condition.items())},
        domains=dict(domains.most_common()),
        graders=dict(graders),
        judged=judged,
        judge_reviewed=reviewed,
        judge_audited=audited,
        judge_errors=judge_errors,
        grader_errors=grader_errors,
        dashboard={
            "pct_diagnosis_first": 100.0 * diagnosis.pass_rate,
            "questions_per_tutor_turn": questions / n if n else 0.0,
            "pct_reinforcement": 100.0 * reinforce.pass_rate,
            "escalation_rate": summary.escalated / n if n else 0.0,
        },
        queue=[entry for *_, entry in sorted(queue, key=lambda q: q[:3], reverse=True)],
        sessions=sessions,
    )


def _entry(key: str, result: EvalResult) -> QueueEntry:
    return QueueEntry(
        item_key=key,
        session_id=result.session_id,
        condition=result.condition,
        severity=result.severity,
        fidelity=result.pedagogical_fidelity_score,
        failures=[f.name for f in result.failures],
        reasons=[r.message for r in result.escalation_reasons],
    )
