"""Fail-closed release gates: a policy of thresholds over run metrics, evaluated to booleans.

A policy file (YAML or JSON) names ``required`` and ``advisory`` gates; each gate is a condition
``metric op threshold`` (``fidelity_mean >= 0.8``) or a mapping ``{metric, op, threshold}``.
Every gate is a literal boolean and missing evidence is ``false``: a run that is not finished,
a run without items, a metric that was not measured, or errored items above the policy's
``error_budget`` all fail the gate, each with the reason.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tutorloop.load import load_yaml_model

Op = Literal[">=", "<=", ">", "<", "==", "!="]
_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
    "==": lambda a, b: math.isclose(a, b, abs_tol=1e-9),
    "!=": lambda a, b: not math.isclose(a, b, abs_tol=1e-9),
}
_CONDITION = re.compile(r"^\s*([A-Za-z_][\w.\-]*)\s*(>=|<=|==|!=|>|<)\s*(-?\d+(?:\.\d+)?)\s*$")
TERMINAL_OK = frozenset({"completed"})


class GateCondition(BaseModel):
    """``metric op threshold``."""

    model_config = ConfigDict(extra="forbid")

    metric: str = Field(min_length=1)
    op: Op
    threshold: float

    def __str__(self) -> str:
        return f"{self.metric} {self.op} {self.threshold:g}"


def _condition(value: Any) -> Any:
    if isinstance(value, str):
        match = _CONDITION.match(value)
        if not match:
            raise ValueError(
                f"{value!r} is not a condition; write 'metric op number' "
                "with op one of >=, <=, >, <, ==, != (e.g. 'fidelity_mean >= 0.8')"
            )
        return {"metric": match[1], "op": match[2], "threshold": float(match[3])}
    return value


def _conditions_schema(schema: dict[str, Any]) -> None:
    """In the JSON Schema, a gate is a ``'metric op number'`` string or a condition mapping."""
    condition = schema.get("additionalProperties")
    text = {"type": "string", "pattern": _CONDITION.pattern, "examples": ["fidelity_mean >= 0.8"]}
    schema["additionalProperties"] = {"anyOf": [text, condition]} if condition else text


class GatePolicy(BaseModel):
    """Required and advisory gates, and how many errored items still count as evidence."""

    model_config = ConfigDict(extra="forbid")

    schema_version: int = 1
    required: dict[str, GateCondition] = Field(
        default_factory=dict, json_schema_extra=_conditions_schema
    )
    """Gates a release needs: a false one fails ``--fail-on-false`` and ``check-gates``."""
    advisory: dict[str, GateCondition] = Field(
        default_factory=dict, json_schema_extra=_conditions_schema
    )
    """Gates that are reported (and written to status.json) but do not block."""
    error_budget: float = Field(default=0.0, ge=0.0, le=1.0)
    """Share of errored items above which every gate fails (the evidence is incomplete)."""

    @field_validator("required", "advisory", mode="before")
    @classmethod
    def _parse_conditions(cls, value: Any) -> Any:
        if isinstance(value, Mapping):
            return {name: _condition(condition) for name, condition in value.items()}
        return value


class GateRow(BaseModel):
    """One evaluated gate, for tables and reports."""

    name: str
    required: bool
    condition: str
    value: float | None
    passed: bool
    reason: str


class GateReport(BaseModel):
    """Every gate of a policy evaluated on one run."""

    rows: list[GateRow]

    @property
    def gates(self) -> dict[str, bool]:
        """``name → literal boolean`` for status.json."""
        return {row.name: row.passed for row in self.rows}

    @property
    def required_pass(self) -> bool:
        """True when every required gate passed (and there is at least one)."""
        required = [row for row in self.rows if row.required]
        return bool(required) and all(row.passed for row in required)


def load_policy(path: str | Path) -> GatePolicy:
    """Read a gate policy; errors name the file and the gate."""
    return load_yaml_model(path, GatePolicy, "the gate policy")


def evaluate_gates(
    policy: GatePolicy, metrics: Mapping[str, float], *, run_status: str
) -> GateReport:
    """Evaluate every gate on ``metrics``; missing evidence is ``false``, with the reason."""
    items = metrics.get("items", 0.0)
    errored = metrics.get("errored", 0.0)
    blocked: str | None = None
    if run_status not in TERMINAL_OK:
        blocked = f"the run is {run_status}, not completed"
    elif not items:
        blocked = "the run has no items"
    elif errored / items > policy.error_budget:
        blocked = (
            f"{errored:g} of {items:g} items errored, above the error budget "
            f"{policy.error_budget:g}"
        )
    rows = []
    for required, gates in ((True, policy.required), (False, policy.advisory)):
        for name, condition in gates.items():
            value = metrics.get(condition.metric)
            if blocked:
                rows.append(_row(name, required, condition, value, False, blocked))
            elif value is None or math.isnan(value):
                reason = f"no evidence: the run has no metric '{condition.metric}'"
                rows.append(_row(name, required, condition, None, False, reason))
            else:
                passed = _OPS[condition.op](value, condition.threshold)
                reason = "holds" if passed else "does not hold"
                rows.append(_row(name, required, condition, value, passed, reason))
    return GateReport(rows=rows)


def _row(
    name: str,
    required: bool,
    condition: GateCondition,
    value: float | None,
    passed: bool,
    reason: str,
) -> GateRow:
    return GateRow(
        name=name,
        required=required,
        condition=str(condition),
        value=value,
        passed=passed is True,
        reason=reason,
    )
