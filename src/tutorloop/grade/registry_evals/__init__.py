"""The checks of openai/evals registry eval classes: the basic matches and the classifier."""

from .basic import (
    FuzzyMatch,
    Includes,
    JsonMatch,
    Match,
    SampleVerdict,
    f1_score,
    fuzzy_match,
    ideals_of,
    json_equal,
    normalize,
)
from .classes import (
    CLASS_PATHS,
    RegistryCheck,
    error_result,
    modelgraded_spec_name,
    registry_check,
    sample_result,
)
from .classify import (
    EVAL_TYPES,
    INVALID_CHOICE,
    MATCH_FNS,
    ModelBasedClassify,
    as_messages,
    get_choice,
)
from .report import bootstrap_std, final_report

__all__ = [
    "CLASS_PATHS",
    "EVAL_TYPES",
    "INVALID_CHOICE",
    "MATCH_FNS",
    "FuzzyMatch",
    "Includes",
    "JsonMatch",
    "Match",
    "ModelBasedClassify",
    "RegistryCheck",
    "SampleVerdict",
    "as_messages",
    "bootstrap_std",
    "error_result",
    "f1_score",
    "final_report",
    "fuzzy_match",
    "get_choice",
    "ideals_of",
    "json_equal",
    "modelgraded_spec_name",
    "normalize",
    "registry_check",
    "sample_result",
]
