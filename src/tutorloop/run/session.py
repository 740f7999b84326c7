"""Grading one session with the heuristics, any learned graders and the decision."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from tutorloop.decide import DecideConfig, decide
from tutorloop.errors import scrub
from tutorloop.grade import HeuristicConfig, StudyModeHeuristics
from tutorloop.grade.learned.sessions import (
    LearnedSessionGrader,
    load_learned_graders,
    result_grades,
)
from tutorloop.load import Item
from tutorloop.records import EvalResult, Grade, GraderError, GraderResult
from tutorloop.store import ItemOutcome


class GradeConfig(BaseModel):
    """Everything that decides how sessions are graded."""

    model_config = ConfigDict(extra="forbid")

    heuristics: HeuristicConfig = Field(default_factory=HeuristicConfig)
    decide: DecideConfig = Field(default_factory=DecideConfig)
    learned: list[Path] = Field(default_factory=list)
    """Learned grader folders (``tutorloop learn train``); each grades every tutor turn."""


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
        result = decide(item.session_id, report.checks, self.config.decide)
        result.condition = item.condition
        result.domain = item.domain
        result.actions = report.actions
        result.metrics = report.metrics
        result.graders = self.learned_results(item)
        return result

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
            grades=self.grades(run_id, item.key, result),
            error=error,
        )

    def grades(self, run_id: str, item_key: str, result: EvalResult | None) -> list[Grade]:
        """The store's grade rows of ``result`` (none without a result)."""
        return outcome_grades(run_id, item_key, result, self.heuristics.version)


def outcome_grades(
    run_id: str, item_key: str, result: EvalResult | None, check_version: str = ""
) -> list[Grade]:
    """One :class:`Grade` per check of ``result`` and one per testing-criteria or learned grader.

    ``check_version`` stands in for a check that carries no grader version of its own.
    """
    if result is None:
        return []
    checks = [
        Grade(
            run_id=run_id,
            item_key=item_key,
            grader=f"study_mode.{check.name}",
            grader_version=check.grader_version or check_version,
            score=1.0 if check.passed else 0.0,
            passed=check.passed,
            verdict=check.verdict,
            reason=check.reason,
            evidence=check.evidence,
            confidence=check.confidence,
            source=check.source,
        )
        for check in result.checks
    ]
    return checks + result_grades(run_id, item_key, result.graders)
