"""Grading one tutor turn in context: rule-based signals and heuristics for MRBench dimensions."""

from .features import final_answer, last_student_turn, turn_signals
from .heuristics import RULES, TURN_HEURISTICS_VERSION, TurnHeuristics, TurnVerdict

__all__ = [
    "RULES",
    "TURN_HEURISTICS_VERSION",
    "TurnHeuristics",
    "TurnVerdict",
    "final_answer",
    "last_student_turn",
    "turn_signals",
]
