"""Everything PULSE: status.json, check-gates, gate policies and gating a run, the refusal smoke."""

from .check_gates import check_gates
from .gates import GateCondition, GatePolicy, GateReport, GateRow, evaluate_gates, load_policy
from .gating import (
    GateOutcome,
    RunMode,
    compare_conditions,
    compare_runs,
    gate_run,
    parse_conditions,
)
from .refusal_backends import run_local
from .refusal_smoke import (
    DEFAULT_GATE_KEY,
    SmokeOptions,
    SmokeOutcome,
    bundled_refusal_dataset,
    run_refusal_smoke,
)
from .status import (
    DECISION_FIELDS,
    MANAGED_FIELDS,
    load_status,
    patch_status,
    status_v1_schema_path,
    validate_status,
)

__all__ = [
    "DECISION_FIELDS",
    "DEFAULT_GATE_KEY",
    "MANAGED_FIELDS",
    "GateCondition",
    "GateOutcome",
    "GatePolicy",
    "GateReport",
    "GateRow",
    "RunMode",
    "SmokeOptions",
    "SmokeOutcome",
    "bundled_refusal_dataset",
    "check_gates",
    "compare_conditions",
    "compare_runs",
    "evaluate_gates",
    "gate_run",
    "load_policy",
    "load_status",
    "parse_conditions",
    "patch_status",
    "run_local",
    "run_refusal_smoke",
    "status_v1_schema_path",
    "validate_status",
]
