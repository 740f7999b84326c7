"""The Study Mode heuristic grader: every check, the action tags and descriptive metrics."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tutorloop.grade.heuristics.checks import CORE_CHECKS, EXTRA_CHECKS, median_of
from tutorloop.grade.heuristics.config import HeuristicConfig
from tutorloop.grade.heuristics.cues import Cues
from tutorloop.grade.heuristics.memo import FeatureCache
from tutorloop.grade.heuristics.safety import safety
from tutorloop.grade.heuristics.view import SessionView
from tutorloop.records import SAFETY_CHECK, EvalCheck, Turn

HEURISTICS_VERSION = "1.1"


@dataclass(frozen=True)
class HeuristicReport:
    """What the heuristics found in one trajectory."""

    checks: list[EvalCheck]
    actions: list[list[str]]
    metrics: dict[str, float]


class StudyModeHeuristics:
    """Deterministic pedagogical checks of a tutoring trajectory.

    The seven Study Mode checks (their mean is the fidelity score), ``no_over_scaffolding``
    and ``safety``. Construct once and reuse: the config's cues are compiled here.
    """

    name = "study_mode.heuristics"

    def __init__(self, config: HeuristicConfig | None = None) -> None:
        self.config = config or HeuristicConfig()
        self.cues = Cues.from_config(self.config)
        self.memo = FeatureCache(self.cues, self.config.rhetorical_answer_min_tokens)
        self.version = f"{HEURISTICS_VERSION}+{self.config.fingerprint()}"
        self._checks = [
            (str(name), check) for name, check in (*CORE_CHECKS.items(), *EXTRA_CHECKS.items())
        ]

    def grade(
        self, trajectory: list[Turn], learner_profile: dict[str, Any] | None = None
    ) -> HeuristicReport:
        """Run every check on ``trajectory``."""
        view = SessionView.build(trajectory, self.cues, self.config, learner_profile, self.memo)
        checks = [
            check(view).to_check(name, self.config, self.version) for name, check in self._checks
        ]
        checks.append(safety(view).to_check(SAFETY_CHECK, self.config, self.version))
        actions = view.actions
        tokens = [turn.tokens for turn in view.tutor]
        asks = [len(turn.asks) for turn in view.tutor]
        turns = len(view.tutor) or 1
        metrics: dict[str, float] = {
            "tutor_turns": float(len(view.tutor)),
            "learner_turns": float(len(view.learner)),
            "questions_per_tutor_turn": sum(asks) / turns,
            "question_marks_per_tutor_turn": sum(t.question_marks for t in view.tutor) / turns,
            "median_tutor_tokens": float(median_of(tokens)) if tokens else 0.0,
            "max_tutor_tokens": float(max(tokens, default=0)),
        }
        return HeuristicReport(checks=checks, actions=actions, metrics=metrics)
