"""Graders: Study Mode heuristics, OpenAI-Evals-compatible graders, the structured judge."""

from .graders import (
    GradeEnv,
    GraderSpec,
    Sample,
    dump_graders,
    grader_types,
    load_graders,
    parse_criteria,
)
from .graders.string_check import StringCheckGrader
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
from .judge import JudgeVerdict, StructuredJudge

__all__ = [
    "ACTIONS",
    "CORE_CHECKS",
    "EXTRA_CHECKS",
    "SAFETY_CHECK",
    "GradeEnv",
    "GraderSpec",
    "HeuristicConfig",
    "HeuristicReport",
    "JudgeVerdict",
    "Sample",
    "StringCheckGrader",
    "StructuredJudge",
    "StudyModeHeuristics",
    "dump_graders",
    "grader_types",
    "load_graders",
    "load_heuristic_config",
    "parse_criteria",
]
