"""Grading one tutor turn in context: rule-based signals and heuristics for MRBench dimensions."""

from .features import (
    dialogue_signals,
    final_answer,
    last_student_turn,
    prediction_input,
    response_features,
    student_turns,
    turn_signals,
)
from .heuristics import RULES, TURN_HEURISTICS_VERSION, TurnHeuristics, TurnVerdict
from .judge import Rubric, TurnJudge, bundled_rubrics, load_rubrics
from .spec import TurnHeuristicsGrader, TurnJudgeGrader

__all__ = [
    "RULES",
    "TURN_HEURISTICS_VERSION",
    "Rubric",
    "TurnHeuristics",
    "TurnHeuristicsGrader",
    "TurnJudge",
    "TurnJudgeGrader",
    "TurnVerdict",
    "bundled_rubrics",
    "dialogue_signals",
    "final_answer",
    "last_student_turn",
    "load_rubrics",
    "prediction_input",
    "response_features",
    "student_turns",
    "turn_signals",
]
