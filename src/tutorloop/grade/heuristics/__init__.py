"""Deterministic Study Mode heuristics: seven checks, over-scaffolding, safety, action tags."""

from .actions import ACTIONS, tag_actions
from .checks import CORE_CHECKS, EXTRA_CHECKS
from .config import HeuristicConfig, SafetyConfig, load_heuristic_config
from .grader import HEURISTICS_VERSION, HeuristicReport, StudyModeHeuristics
from .spec import StudyModeGrader
from .text import count_tokens, mask_non_prose

__all__ = [
    "ACTIONS",
    "CORE_CHECKS",
    "EXTRA_CHECKS",
    "HEURISTICS_VERSION",
    "HeuristicConfig",
    "HeuristicReport",
    "SafetyConfig",
    "StudyModeGrader",
    "StudyModeHeuristics",
    "count_tokens",
    "load_heuristic_config",
    "mask_non_prose",
    "tag_actions",
]
