"""Grading one session (heuristics, learned graders, the decision) and building its result.

:func:`build_result` is the only place an :class:`~tutorloop.records.EvalResult` is built:
from the decision (:mod:`tutorloop.decide`) and what the graders found. Every path that grades
an item (the heuristics alone, with the judge and testing criteria, a dataset item) ends here,
and nothing changes a result after it is built.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from tutorloop.decide import DecideConfig, Decision, decide
from tutorloop.errors import scrub
from tutorloop.grade import HeuristicConfig, HeuristicReport, StudyModeHeuristics
from tutorloop.grade.learned.sessions import (
    LearnedSessionGrader,
    load_learned_graders,
    result_grades,
)
from tutorloop.load import Item
from tutorloop.records import (
    EvalCheck,
    EvalResult,
    Grade,
    GraderError,
    GraderResult,
    JudgeReview,
    ReplayArtifact,
    Session,
)
from tutorloop.store import ItemOutcome

_GRADES: TypeAdapter[list[Grade]] = TypeAdapter(list[Grade])
"""Validates an item's check grades in one call."""


def review_record(item: Item, result: EvalResult | None) -> Session | ReplayArtifact | None:
    """The record to keep with an escalated item for its reviewers (None: not escalated)."""
    return item.record if result is not None and result.escalate else None


class GradeConfig(BaseModel):
    """Everything that decides how sessions are graded."""

    model_config = ConfigDict(extra="forbid")

    heuristics: HeuristicConfig = Field(default_factory=HeuristicConfig)
    decide: DecideConfig = Field(default_factory=DecideConfig)
    learned: list[Path] = Field(default_factory=list)
    """Learned grader folders (``tutorloop learn train``); each grades every tutor turn."""
    input_format: str | None = None
    """Read every input file as this log format (``openai-chat``, ``langfuse``, ...; see
    ``tutorloop import``); None: each file's format is detected from its first records."""


class SessionGrader:
    """Grades one item: heuristics, then the decision, then any learned graders.

    The learned models are loaded here, once; grading itself does no I/O.
    """

    def __init__(self, config: GradeConfig | None = None) -> None:
        self.config = config or GradeConfig()
        self.heuristics = StudyModeHeuristics(self.config.heuristics)
        self.learned: list[LearnedSessionGrader] = load_learned_graders(self.config.learned)

    def grade(self, item: Item) -> EvalResult:
        """The :class:`EvalResult` of one item."""
        report = self.heuristics.grade(item.trajectory, item.learner_profile)
        return self.result(item, report, report.checks, self.learned_results(item))

    def result(
        self,
        item: Item,
        report: HeuristicReport,
        checks: Sequence[EvalCheck],
        graders: Sequence[GraderResult],
        *,
        errors: Sequence[str] = (),
        disagreements: Sequence[str] = (),
        judge: JudgeReview | None = None,
    ) -> EvalResult:
        """Decide about ``item`` from its ``checks`` and build its result.

        ``checks`` are the heuristics' (``report``), or those merged with the judge's;
        ``errors`` and ``disagreements`` are escalation reasons (see
        :func:`tutorloop.decide.decide`).
        """
        decision = decide(checks, self.config.decide, errors=errors, disagreements=disagreements)
        return build_result(
            item.session_id,
            decision,
            checks=checks,
            report=report,
            graders=graders,
            condition=item.condition,
            domain=item.domain,
            judge=judge,
        )

    def learned_results(self, item: Item) -> list[GraderResult]:
        """Each learned grader's verdict on ``item`` (they do not change the decision)."""
        return [grader.grade(item) for grader in self.learned]

    def outcome(self, run_id: str, item: Item) -> ItemOutcome:
        """Grade ``item`` into what the store keeps; a grader crash becomes data, not a raise."""
        result: EvalResult | None = None
        error: GraderError | None = None
        try:
            result = self.grade(item)
        except Exception as exc:
            error = GraderError(type=type(exc).__name__, message=scrub(str(exc)))
        return ItemOutcome(
            item_key=item.key,
            session_id=item.session_id,
            condition=item.condition,
            domain=item.domain,
            source=item.origin,
            result=result,
            grades=grader_grades(run_id, item.key, result),
            error=error,
            record=review_record(item, result),
            check_version=self.heuristics.version,
        )

    def grades(self, run_id: str, item_key: str, result: EvalResult | None) -> list[Grade]:
        """Every grade of ``result``, its checks' included (none without a result)."""
        return outcome_grades(run_id, item_key, result, self.heuristics.version)


def build_result(
    session_id: str,
    decision: Decision,
    *,
    checks: Sequence[EvalCheck] = (),
    report: HeuristicReport | None = None,
    graders: Sequence[GraderResult] = (),
    condition: str | None = None,
    domain: str | None = None,
    judge: JudgeReview | None = None,
) -> EvalResult:
    """The :class:`EvalResult` of one item: the decision, the checks and the graders' results.

    ``report`` gives the action tags and metrics of a session graded by the heuristics. A
    decision over checks is stamped with the time it is built (``evaluated_at``); one over a
    dataset item's testing criteria is not, as before.
    """
    evaluated_at = None
    if decision.basis == "checks":
        evaluated_at = datetime.now(UTC).isoformat(timespec="seconds")
    return EvalResult(
        session_id=session_id,
        pedagogical_fidelity_score=decision.fidelity,
        escalate=decision.escalate,
        checks=list(checks),
        notes=decision.notes,
        evaluated_at=evaluated_at,
        condition=condition,
        domain=domain,
        failures=decision.failures,
        escalation_reasons=decision.escalation_reasons,
        severity=decision.severity,
        actions=report.actions if report is not None else [],
        metrics=report.metrics if report is not None else {},
        graders=list(graders),
        judge=judge,
    )


def outcome_grades(
    run_id: str, item_key: str, result: EvalResult | None, check_version: str = ""
) -> list[Grade]:
    """One :class:`Grade` per check of ``result`` and one per testing-criteria or learned grader.

    ``check_version`` stands in for a check that carries no grader version of its own.
    """
    if result is None:
        return []
    checks = _GRADES.validate_python(
        [
            {
                "run_id": run_id,
                "item_key": item_key,
                "grader": f"study_mode.{check.name}",
                "grader_version": check.grader_version or check_version,
                "score": 1.0 if check.passed else 0.0,
                "passed": check.passed,
                "verdict": check.verdict,
                "reason": check.reason,
                "evidence": check.evidence,
                "confidence": check.confidence,
                "source": check.source,
            }
            for check in result.checks
        ]
    )
    return checks + result_grades(run_id, item_key, result.graders)


def grader_grades(run_id: str, item_key: str, result: EvalResult | None) -> list[Grade]:
    """The grades of ``result``'s testing-criteria and learned graders (none without a result).

    Its checks' grades are not built: the store keeps those from the result itself (see
    :attr:`tutorloop.store.ItemOutcome.check_version`).
    """
    return (
        []
        if result is None or not result.graders
        else result_grades(run_id, item_key, result.graders)
    )
