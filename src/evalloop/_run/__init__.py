"""Runs that span stages: replay (load → generate → store) and grading (→ grade → decide)."""

from .common import RunOptions, RunReport, new_manifest, new_run_id
from .grading import ModelAccess, grade_paths, grade_run, iter_inputs
from .hosted_evals import (
    EvalDefinition,
    ImportReport,
    fetch_definition,
    fetch_output_items,
    import_eval,
    read_definition,
)
from .model_grading import ModelGrading
from .replaying import ReplayConfig, ReplayReport, replay_paths, replay_paths_async
from .session_grader import GradeConfig, SessionGrader

__all__ = [
    "EvalDefinition",
    "GradeConfig",
    "ImportReport",
    "ModelAccess",
    "ModelGrading",
    "ReplayConfig",
    "ReplayReport",
    "RunOptions",
    "RunReport",
    "SessionGrader",
    "fetch_definition",
    "fetch_output_items",
    "grade_paths",
    "grade_run",
    "import_eval",
    "iter_inputs",
    "new_manifest",
    "new_run_id",
    "read_definition",
    "replay_paths",
    "replay_paths_async",
]
