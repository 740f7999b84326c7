"""Runs that span stages (load → grade → decide → store)."""

from .grading import (
    GradeConfig,
    RunOptions,
    RunReport,
    SessionGrader,
    grade_paths,
    grade_run,
    new_run_id,
)
from .replaying import ReplayConfig, ReplayReport, replay_paths, replay_paths_async

__all__ = [
    "GradeConfig",
    "ReplayConfig",
    "ReplayReport",
    "RunOptions",
    "RunReport",
    "SessionGrader",
    "grade_paths",
    "grade_run",
    "new_run_id",
    "replay_paths",
    "replay_paths_async",
]
