"""tutorloop's Python API: the verbs and the run objects they return."""

from tutorloop.api.inputs import Input, Inputs, Record
from tutorloop.api.runs import AlignRun, GradeRun, ReplayRun
from tutorloop.api.verbs import (
    Progress,
    align_run,
    align_run_async,
    compare,
    compare_async,
    grade,
    grade_async,
    replay,
    replay_async,
    report,
    report_async,
)

__all__ = [
    "AlignRun",
    "GradeRun",
    "Input",
    "Inputs",
    "Progress",
    "Record",
    "ReplayRun",
    "align_run",
    "align_run_async",
    "compare",
    "compare_async",
    "grade",
    "grade_async",
    "replay",
    "replay_async",
    "report",
    "report_async",
]
