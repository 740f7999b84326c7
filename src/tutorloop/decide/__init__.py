"""Decide: fidelity, the failure taxonomy, escalation with its reasons."""

from .config import DEFAULT_FAILURE_CLASSES, DEFAULT_SEVERITY, DecideConfig
from .decision import decide, failures, fidelity

__all__ = [
    "DEFAULT_FAILURE_CLASSES",
    "DEFAULT_SEVERITY",
    "DecideConfig",
    "decide",
    "failures",
    "fidelity",
]
