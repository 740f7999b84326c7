"""Grading one session with the heuristics and the decision: pure, no I/O."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from ..decide import DecideConfig, decide
from ..errors import scrub
from ..grade import HeuristicConfig, StudyModeHeuristics
from ..load import Item
from ..records import EvalResult, Grade, GraderError
from ..store import ItemOutcome


class GradeConfig(BaseModel):
    """Everything that decides how sessions are graded."""

    model_config = ConfigDict(extra="forbid")

    heuristics: HeuristicConfig = Field(default_factory=HeuristicConfig)
    decide: DecideConfig = Field(default_factory=DecideConfig)


class SessionGrader:
    """Grades one item: heuristics, then the decision. Pure: no I/O."""

    def __init__(self, config: GradeConfig | None = None) -> None:
        self.config = config or GradeConfig()
        self.heuristics = StudyModeHeuristics(self.config.heuristics)

    def grade(self, item: Item) -> EvalResult:
        """The :class:`EvalResult` of one item."""
        report = self.heuristics.grade(item.trajectory, item.learner_profile)
        result = decide(item.session_id, report.checks, self.config.decide)
        result.condition = item.condition
        result.domain = item.domain
        result.actions = report.actions
        result.metrics = report.metrics
        return result

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
        """One :class:`Grade` per check of ``result`` (none without a result)."""
        return [
            Grade(
                run_id=run_id,
                item_key=item_key,
                grader=f"study_mode.{check.name}",
                grader_version=check.grader_version or self.heuristics.version,
                score=1.0 if check.passed else 0.0,
                passed=check.passed,
                verdict=check.verdict,
                reason=check.reason,
                evidence=check.evidence,
                confidence=check.confidence,
                source=check.source,
            )
            for check in (result.checks if result else [])
        ]
