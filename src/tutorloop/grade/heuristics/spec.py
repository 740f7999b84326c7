"""The Study Mode heuristics as a grader of the one protocol (kind ``study_mode``).

Its config is the :class:`~.config.HeuristicConfig` (the spec lists only what differs from the
defaults) and its version is the heuristics' own (``<implementation>+<config fingerprint>``,
the ``grader_version`` of every check it makes). The result's ``checks`` are every check; its
``score`` is the share of the seven Study Mode checks that pass. It does not say ``passed``:
whether a session passes is the decision's call (:func:`tutorloop.decide.decide`).
:class:`~.grader.StudyModeHeuristics` stays the API of callers that also want the action tags
and metrics.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any, Literal

from pydantic import Field

from tutorloop.grade.base import GraderSpec, Sample
from tutorloop.grade.graders.env import GradeEnv
from tutorloop.grade.heuristics.config import HeuristicConfig
from tutorloop.grade.heuristics.grader import StudyModeHeuristics
from tutorloop.grade.inputs import session_of
from tutorloop.records import STUDY_MODE_CHECKS, EvalCheck, GraderResult


class StudyModeGrader(GraderSpec):
    """Every Study Mode heuristic check of a session, in one result."""

    FULL_SPEC = False

    type: Literal["study_mode"] = "study_mode"
    name: str = Field(default="study_mode", min_length=1)
    config: HeuristicConfig = Field(default_factory=HeuristicConfig)
    """Thresholds and cues of the checks."""

    @cached_property
    def heuristics(self) -> StudyModeHeuristics:
        """The compiled heuristics (built once per grader)."""
        return StudyModeHeuristics(self.config)

    @property
    def version(self) -> str:
        """The heuristics' version: implementation + a fingerprint of the config."""
        return self.heuristics.version

    def evaluate(self, item: dict[str, Any], sample: Sample, env: GradeEnv) -> GraderResult:
        """Run every check on the item's trajectory."""
        session = session_of(item)
        report = self.heuristics.grade(session.trajectory, session.learner_profile)
        return self.outcome(**checks_summary(report.checks))


def checks_summary(checks: list[EvalCheck]) -> dict[str, Any]:
    """``score`` (share of the seven checks present that pass), ``reason`` and ``checks``."""
    seven = [c for c in checks if c.name in STUDY_MODE_CHECKS]
    score = sum(c.passed for c in seven) / len(seven) if seven else None
    failed = [c.name for c in checks if c.verdict == "fail"]
    unsure = [c.name for c in checks if c.verdict == "unsure"]
    parts = [f"failed: {', '.join(failed)}"] if failed else []
    parts += [f"unsure: {', '.join(unsure)}"] if unsure else []
    return {
        "score": score,
        "reason": "; ".join(parts) or "every check passed",
        "checks": checks,
    }
