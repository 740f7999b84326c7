"""Runs across the stages: grading (load → grade → decide → store), replay (→ generate → store)."""

from .alerts import AlertDesk, Firing, current_drift, evaluate_rules
from .common import RunReport, new_manifest, new_run_id
from .config import RunConfig, errors_exceed
from .engine import EngineReport, Progress, Sink, run_async, run_sync
from .grading import ModelAccess, grade_paths, grade_run, iter_inputs
from .model_grading import ModelGrading, criteria_outcome, grade_entries_async
from .model_grading import prepare as prepare_models
from .monitor import MonitorSnapshot, metric_series, monitor_snapshot
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
from .watch import (
    WatchGrading,
    WatchReport,
    WatchSink,
    WatchWork,
    bucket_run_id,
    ingest_sessions,
    sample_reason,
    session_time,
    watch_folder,
)
from .watch_config import (
    AlertRule,
    DriftConfig,
    SamplingPolicy,
    WatchConfig,
    WebhookConfig,
    load_watch_config,
    parse_seconds,
)
from .webhook import SIGNATURE_HEADER, Webhook, sign

__all__ = [
    "DEFAULT_SEED",
    "SIGNATURE_HEADER",
    "AlertDesk",
    "AlertRule",
    "DriftConfig",
    "EngineReport",
    "Firing",
    "GradeConfig",
    "Graded",
    "ModelAccess",
    "ModelGrading",
    "ModelReach",
    "MonitorSnapshot",
    "OaiEvalOptions",
    "OutcomeSink",
    "PreparedEval",
    "Progress",
    "ReplayConfig",
    "ReplayReport",
    "ReplayWork",
    "RunConfig",
    "RunReport",
    "SamplingPolicy",
    "SessionGrader",
    "Sink",
    "StoredArtifacts",
    "StoredOutcomes",
    "WatchConfig",
    "WatchGrading",
    "WatchReport",
    "WatchSink",
    "WatchWork",
    "Webhook",
    "WebhookConfig",
    "artifact_outcome",
    "bucket_run_id",
    "build_result",
    "criteria_outcome",
    "current_drift",
    "errors_exceed",
    "evaluate_rules",
    "failed_outcome",
    "grade_entries_async",
    "grade_paths",
    "grade_run",
    "ingest_sessions",
    "iter_inputs",
    "load_watch_config",
    "metric_series",
    "monitor_snapshot",
    "new_manifest",
    "new_run_id",
    "oaieval",
    "oaieval_async",
    "oaieval_record_lines",
    "parse_seconds",
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
    "sample_reason",
    "session_of",
    "session_time",
    "sign",
    "watch_folder",
    "write_oaieval_record",
]
