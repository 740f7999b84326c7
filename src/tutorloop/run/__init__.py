"""Runs across the stages: grading (load → grade → decide → store), replay (→ generate → store)."""

from .common import OutcomeSink, OutcomeWriter, RunReport, new_manifest, new_run_id
from .config import RunConfig
from .engine import EngineReport, Progress, Sink, run_async, run_sync
from .grading import ModelAccess, grade_paths, grade_run, iter_inputs
from .model_grading import ModelGrading, criteria_outcome, grade_entries_async
from .model_grading import prepare as prepare_models
from .replay import (
    ReplayConfig,
    ReplayReport,
    artifact_outcome,
    replay_paths,
    replay_paths_async,
    replay_specs,
    session_of,
)
from .session import GradeConfig, SessionGrader, build_result

__all__ = [
    "EngineReport",
    "GradeConfig",
    "ModelAccess",
    "ModelGrading",
    "OutcomeSink",
    "OutcomeWriter",
    "Progress",
    "ReplayConfig",
    "ReplayReport",
    "RunConfig",
    "RunReport",
    "SessionGrader",
    "Sink",
    "artifact_outcome",
    "build_result",
    "criteria_outcome",
    "grade_entries_async",
    "grade_paths",
    "grade_run",
    "iter_inputs",
    "new_manifest",
    "new_run_id",
    "prepare_models",
    "replay_paths",
    "replay_paths_async",
    "replay_specs",
    "run_async",
    "run_sync",
    "session_of",
]
