"""Graders: one protocol (:class:`GraderSpec`) and one registry for every kind.

The kinds: the OpenAI-Evals-compatible graders, the Study Mode heuristics and judge, the turn
graders, learned graders and the alignment judge.
"""

from .base import GraderOutcome, GraderSpec, Sample
from .graders import (
    GradeEnv,
    dump_graders,
    grader_types,
    load_graders,
    parse_criteria,
    python_graders_refused,
    uses_python,
)
from .graders.string_check import StringCheckGrader
from .heuristics import (
    ACTIONS,
    CORE_CHECKS,
    EXTRA_CHECKS,
    HeuristicConfig,
    HeuristicReport,
    StudyModeGrader,
    StudyModeHeuristics,
    load_heuristic_config,
)
from .judge import (
    DEFAULT_AUDIT_SHARE,
    AlignJudgeGrader,
    JudgeVerdict,
    StructuredJudge,
    StudyModeJudgeGrader,
    audit_pick,
    judge_review,
)
from .learned import (
    CURVE_FRACTIONS,
    CVReport,
    LearnedGrader,
    LearnedGraderSpec,
    TrainConfig,
    grouped_cv,
    training_data,
)
from .learned import load as load_learned
from .learned import save as save_learned
from .learned import train as train_learned
from .registry import GraderKind, grader_class, grader_from_spec, grader_kinds
from .registry_evals import (
    ModelBasedClassify,
    RegistryCheck,
    as_messages,
    ideals_of,
    modelgraded_spec_name,
    registry_check,
)
from .registry_evals import error_result as registry_error
from .registry_evals import final_report as registry_report
from .registry_evals import sample_result as registry_result
from .turn import RULES as TURN_RULES
from .turn import (
    TURN_HEURISTICS_VERSION,
    TurnHeuristics,
    TurnHeuristicsGrader,
    TurnJudge,
    TurnJudgeGrader,
    TurnVerdict,
    load_rubrics,
)

__all__ = [
    "ACTIONS",
    "CORE_CHECKS",
    "CURVE_FRACTIONS",
    "DEFAULT_AUDIT_SHARE",
    "EXTRA_CHECKS",
    "TURN_HEURISTICS_VERSION",
    "TURN_RULES",
    "AlignJudgeGrader",
    "CVReport",
    "GradeEnv",
    "GraderKind",
    "GraderOutcome",
    "GraderSpec",
    "HeuristicConfig",
    "HeuristicReport",
    "JudgeVerdict",
    "LearnedGrader",
    "LearnedGraderSpec",
    "ModelBasedClassify",
    "RegistryCheck",
    "Sample",
    "StringCheckGrader",
    "StructuredJudge",
    "StudyModeGrader",
    "StudyModeHeuristics",
    "StudyModeJudgeGrader",
    "TrainConfig",
    "TurnHeuristics",
    "TurnHeuristicsGrader",
    "TurnJudge",
    "TurnJudgeGrader",
    "TurnVerdict",
    "as_messages",
    "audit_pick",
    "dump_graders",
    "grader_class",
    "grader_from_spec",
    "grader_kinds",
    "grader_types",
    "grouped_cv",
    "ideals_of",
    "judge_review",
    "load_graders",
    "load_heuristic_config",
    "load_learned",
    "load_rubrics",
    "modelgraded_spec_name",
    "parse_criteria",
    "python_graders_refused",
    "registry_check",
    "registry_error",
    "registry_report",
    "registry_result",
    "save_learned",
    "train_learned",
    "training_data",
    "uses_python",
]
