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
from .learned import (
    CURVE_FRACTIONS,
    CVReport,
    LearnedGrader,
    TrainConfig,
    grouped_cv,
    training_data,
)
from .learned import load as load_learned
from .learned import save as save_learned
from .learned import train as train_learned
from .turn import RULES as TURN_RULES
from .turn import TURN_HEURISTICS_VERSION, TurnHeuristics, TurnJudge, TurnVerdict, load_rubrics

__all__ = [
    "ACTIONS",
    "CORE_CHECKS",
    "CURVE_FRACTIONS",
    "EXTRA_CHECKS",
    "SAFETY_CHECK",
    "TURN_HEURISTICS_VERSION",
    "TURN_RULES",
    "CVReport",
    "GradeEnv",
    "GraderSpec",
    "HeuristicConfig",
    "HeuristicReport",
    "JudgeVerdict",
    "LearnedGrader",
    "Sample",
    "StringCheckGrader",
    "StructuredJudge",
    "StudyModeHeuristics",
    "TrainConfig",
    "TurnHeuristics",
    "TurnJudge",
    "TurnVerdict",
    "dump_graders",
    "grader_types",
    "grouped_cv",
    "load_graders",
    "load_heuristic_config",
    "load_learned",
    "load_rubrics",
    "parse_criteria",
    "save_learned",
    "train_learned",
    "training_data",
]
