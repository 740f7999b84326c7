"""Decide: fidelity, failure taxonomy, escalation, release gates and PULSE status.json."""

from .check_gates import check_gates
from .config import DEFAULT_FAILURE_CLASSES, DEFAULT_SEVERITY, DecideConfig
from .decision import decide, failures, fidelity
from .gates import (
    GateCondition,
    GatePolicy,
    GateReport,
    GateRow,
    evaluate_gates,
    load_policy,
)
from .pulse import (
    DECISION_FIELDS,
    MANAGED_FIELDS,
    load_status,
    patch_status,
    status_v1_schema_path,
    validate_status,
)

__all__ = [
    "DECISION_FIELDS",
    "DEFAULT_FAILURE_CLASSES",
    "DEFAULT_SEVERITY",
    "MANAGED_FIELDS",
    "DecideConfig",
    "GateCondition",
    "GatePolicy",
    "GateReport",
    "GateRow",
    "check_gates",
    "decide",
    "evaluate_gates",
    "failures",
    "fidelity",
    "load_policy",
    "load_status",
    "patch_status",
    "status_v1_schema_path",
    "validate_status",
]
