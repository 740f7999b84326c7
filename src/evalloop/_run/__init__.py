"""Runs that span stages: replay (load → generate → store) and grading (→ grade → decide)."""

from .common import OutcomeSink, OutcomeWriter, RunOptions, RunReport, new_manifest, new_run_id
from .gating import (
    GateOutcome,
    RunMode,
    compare_conditions,
    compare_runs,
    gate_run,
    parse_conditions,
)
from .grading import ModelAccess, grade_paths, grade_run, iter_inputs
from .hosted_evals import (
    EvalDefinition,
    ImportReport,
    fetch_definition,
    fetch_output_items,
    import_eval,
    read_definition,
)
from .model_grading import ModelGrading, grade_entries_async
from .model_grading import prepare as prepare_models
from .refusal_smoke import DEFAULT_GATE_KEY, SmokeOptions, SmokeOutcome, run_refusal_smoke
from .replaying import (
    ReplayConfig,
    ReplayReport,
    artifact_outcome,
    replay_paths,
    replay_paths_async,
    replay_specs,
    session_of,
)
from .session_grader import GradeConfig, SessionGrader

__all__ = [
    "DEFAULT_GATE_KEY",
    "EvalDefinition",
    "GateOutcome",
    "GradeConfig",
    "ImportReport",
    "ModelAccess",
    "ModelGrading",
    "OutcomeSink",
    "OutcomeWriter",
    "ReplayConfig",
    "ReplayReport",
    "RunMode",
    "RunOptions",
    "RunReport",
    "SessionGrader",
    "SmokeOptions",
    "SmokeOutcome",
    "artifact_outcome",
    "compare_conditions",
    "compare_runs",
    "fetch_definition",
    "fetch_output_items",
    "gate_run",
    "grade_entries_async",
    "grade_paths",
    "grade_run",
    "import_eval",
    "iter_inputs",
    "new_manifest",
    "new_run_id",
    "parse_conditions",
    "prepare_models",
    "read_definition",
    "replay_paths",
    "replay_paths_async",
    "replay_specs",
    "run_refusal_smoke",
    "session_of",
]
