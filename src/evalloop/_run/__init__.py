"""Runs that span stages: replay (load → generate → store) and grading (→ grade → decide)."""

from .common import RunOptions, RunReport, new_manifest, new_run_id
from .grading import ModelAccess, grade_paths, grade_run, iter_inputs
from .model_grading import ModelGrading
from .replaying import ReplayConfig, ReplayReport, replay_paths, replay_paths_async
from .session_grader import GradeConfig, SessionGrader

__all__ = [
    "GradeConfig",
    "ModelAccess",
    "ModelGrading",
    "ReplayConfig",
    "ReplayReport",
    "RunOptions",
    "RunReport",
    "SessionGrader",
    "grade_paths",
    "grade_run",
    "iter_inputs",
    "new_manifest",
    "new_run_id",
    "replay_paths",
    "replay_paths_async",
]
