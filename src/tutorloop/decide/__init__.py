"""Decide: fidelity, the failure taxonomy, escalation with its reasons."""

from .config import DEFAULT_FAILURE_CLASSES, DEFAULT_SEVERITY, DecideConfig
from .decision import CRITERIA_NOTE, Decision, decide, decide_criteria, failures, fidelity

__all__ = [
    "CRITERIA_NOTE",
    "DEFAULT_FAILURE_CLASSES",
    "DEFAULT_SEVERITY",
    "DecideConfig",
    "Decision",
    "decide",
    "decide_criteria",
    "failures",
    "fidelity",
]
