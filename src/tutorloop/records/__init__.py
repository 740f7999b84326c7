"""Pydantic models of everything tutorloop reads or writes; each root carries ``schema_version``."""

from ._base import NewerSchemaVersion, VersionedRecord, trusted
from .align import AlignRow, row_key
from .artifact import Condition, Mode, RegenerationMeta, ReplayArtifact, Usage
from .checks import (
    OVER_SCAFFOLDING_CHECK,
    PROGRESS_CHECK,
    SAFETY_CHECK,
    STUDY_MODE_CHECKS,
    StudyModeCheck,
    StudyModeCheckName,
)
from .grade import Grade
from .labels import (
    ESCALATE_DIMENSION,
    MRBENCH_DIMENSIONS,
    HumanLabel,
    ItemKind,
    LabelPrediction,
    LabelSource,
    TurnItem,
    lenient,
    needs_attention,
)
from .learned import LearnedManifest
from .manifest import RunCounts, RunManifest, RunStatus
from .registry_eval import ModelGradedSpec, OaiEvalReport, RegistryEval
from .result import (
    SEVERITY_ORDER,
    EscalationReason,
    EvalCheck,
    EvalResult,
    Evidence,
    Failure,
    GraderError,
    GraderResult,
    JudgedBecause,
    JudgedCheck,
    JudgeReview,
    Severity,
    Source,
    Verdict,
)
from .review import OVERALL_DIMENSION, LabelAudit, LabelInput, ReviewLabel, allowed_values
from .schemas import RECORDS, json_schema
from .session import Role, Session, Turn

__all__ = [
    "ESCALATE_DIMENSION",
    "MRBENCH_DIMENSIONS",
    "OVERALL_DIMENSION",
    "OVER_SCAFFOLDING_CHECK",
    "PROGRESS_CHECK",
    "RECORDS",
    "SAFETY_CHECK",
    "SEVERITY_ORDER",
    "STUDY_MODE_CHECKS",
    "AlignRow",
    "Condition",
    "EscalationReason",
    "EvalCheck",
    "EvalResult",
    "Evidence",
    "Failure",
    "Grade",
    "GraderError",
    "GraderResult",
    "HumanLabel",
    "ItemKind",
    "JudgeReview",
    "JudgedBecause",
    "JudgedCheck",
    "LabelAudit",
    "LabelInput",
    "LabelPrediction",
    "LabelSource",
    "LearnedManifest",
    "Mode",
    "ModelGradedSpec",
    "NewerSchemaVersion",
    "OaiEvalReport",
    "RegenerationMeta",
    "RegistryEval",
    "ReplayArtifact",
    "ReviewLabel",
    "Role",
    "RunCounts",
    "RunManifest",
    "RunStatus",
    "Session",
    "Severity",
    "Source",
    "StudyModeCheck",
    "StudyModeCheckName",
    "Turn",
    "TurnItem",
    "Usage",
    "Verdict",
    "VersionedRecord",
    "allowed_values",
    "json_schema",
    "lenient",
    "needs_attention",
    "row_key",
    "trusted",
]
