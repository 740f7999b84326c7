"""Runs that span stages: replay (load → generate → store) and grading (→ grade → decide)."""

from .common import OutcomeSink, OutcomeWriter, RunOptions, RunReport, new_manifest, new_run_id
from .costing import (
    GradedPairs,
    GraderQuery,
    attention_probability,
    calibrate_graders,
    graded_pairs,
    policy_costs,
    rank_next,
    write_next_file,
)
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
from .labelling import (
    HEURISTIC,
    TurnGrader,
    collect_votes,
    label_predictions,
    needs_attention,
    run_source,
    turn_grader,
    turn_items,
)
from .learned_grading import LearnedSessionGrader, load_learned_graders
from .model_grading import ModelGrading, criteria_outcome, grade_entries_async
from .model_grading import prepare as prepare_models
from .refusal_backends import run_local
from .refusal_smoke import (
    DEFAULT_GATE_KEY,
    SmokeOptions,
    SmokeOutcome,
    bundled_refusal_dataset,
    run_refusal_smoke,
)
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
    "HEURISTIC",
    "EvalDefinition",
    "GateOutcome",
    "GradeConfig",
    "GradedPairs",
    "GraderQuery",
    "ImportReport",
    "LearnedSessionGrader",
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
    "TurnGrader",
    "artifact_outcome",
    "attention_probability",
    "bundled_refusal_dataset",
    "calibrate_graders",
    "collect_votes",
    "compare_conditions",
    "compare_runs",
    "criteria_outcome",
    "fetch_definition",
    "fetch_output_items",
    "gate_run",
    "grade_entries_async",
    "grade_paths",
    "grade_run",
    "graded_pairs",
    "import_eval",
    "iter_inputs",
    "label_predictions",
    "load_learned_graders",
    "needs_attention",
    "new_manifest",
    "new_run_id",
    "parse_conditions",
    "policy_costs",
    "prepare_models",
    "rank_next",
    "read_definition",
    "replay_paths",
    "replay_paths_async",
    "replay_specs",
    "run_local",
    "run_refusal_smoke",
    "run_source",
    "session_of",
    "turn_grader",
    "turn_items",
    "write_next_file",
]
