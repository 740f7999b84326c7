"""Graders: the Study Mode heuristics (more kinds join the registry as they are added)."""

from .heuristics import (
    ACTIONS,
    CORE_CHECKS,
    EXTRA_CHECKS,
    SAFETY_CHECK,
    HeuristicConfig,
    HeuristicReport,
    StudyModeHeuristics,
    load_heuristic_config,
)

__all__ = [
    "ACTIONS",
    "CORE_CHECKS",
    "EXTRA_CHECKS",
    "SAFETY_CHECK",
    "HeuristicConfig",
    "HeuristicReport",
    "StudyModeHeuristics",
    "load_heuristic_config",
]
