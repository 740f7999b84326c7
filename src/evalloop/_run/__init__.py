"""Runs that span stages (load → grade → decide → store)."""

from .grading import (
    GradeConfig,
    RunOptions,
    RunReport,
    SessionGrader,
    grade_paths,
    new_run_id,
)

__all__ = [
    "GradeConfig",
    "RunOptions",
    "RunReport",
    "SessionGrader",
    "grade_paths",
    "new_run_id",
]
