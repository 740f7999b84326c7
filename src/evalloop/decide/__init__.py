"""Decide: fidelity, failure taxonomy, escalation, release gates and PULSE status.json."""

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
from .pulse import patch_status, status_v1_schema_path, validate_status

__all__ = [
    "DEFAULT_FAILURE_CLASSES",
    "DEFAULT_SEVERITY",
    "DecideConfig",
    "GateCondition",
    "GatePolicy",
    "GateReport",
    "GateRow",
    "decide",
    "evaluate_gates",
    "failures",
    "fidelity",
    "load_policy",
    "patch_status",
    "status_v1_schema_path",
    "validate_status",
]
