"""Runs across the stages: grading (load → grade → decide → store), replay (→ generate → store)."""

from .common import RunReport, new_manifest, new_run_id
from .config import RunConfig, errors_exceed
from .engine import EngineReport, Progress, Sink, run_async, run_sync
from .grading import ModelAccess, grade_paths, grade_run, iter_inputs
from .model_grading import ModelGrading, criteria_outcome, grade_entries_async
from .model_grading import prepare as prepare_models
from .oaieval import (
    DEFAULT_SEED,
    OaiEvalOptions,
    PreparedEval,
    oaieval,
    oaieval_async,
    prepare_eval,
)
from .oaieval_record import oaieval_record_lines, write_oaieval_record
from .outcomes import Graded, OutcomeSink, StoredOutcomes, failed_outcome
from .reach import ModelReach
from .replay import (
    ReplayConfig,
    ReplayReport,
    ReplayWork,
    StoredArtifacts,
    artifact_outcome,
    replay_failed,
    replay_paths,
    replay_paths_async,
    replay_specs,
    replay_work,
    replay_worker,
    session_of,
)
from .session import GradeConfig, SessionGrader, build_result

__all__ = [
    "DEFAULT_SEED",
    "EngineReport",
    "GradeConfig",
    "Graded",
    "ModelAccess",
    "ModelGrading",
    "ModelReach",
    "OaiEvalOptions",
    "OutcomeSink",
    "PreparedEval",
    "Progress",
    "ReplayConfig",
    "ReplayReport",
    "ReplayWork",
    "RunConfig",
    "RunReport",
    "SessionGrader",
    "Sink",
    "StoredArtifacts",
    "StoredOutcomes",
    "artifact_outcome",
    "build_result",
    "criteria_outcome",
    "errors_exceed",
    "failed_outcome",
    "grade_entries_async",
    "grade_paths",
    "grade_run",
    "iter_inputs",
    "new_manifest",
    "new_run_id",
    "oaieval",
    "oaieval_async",
    "oaieval_record_lines",
    "prepare_eval",
    "prepare_models",
    "replay_failed",
    "replay_paths",
    "replay_paths_async",
    "replay_specs",
    "replay_work",
    "replay_worker",
    "run_async",
    "run_sync",
    "session_of",
    "write_oaieval_record",
]
