"""The numbers a gate policy reads: one flat ``name → value`` mapping per run.

Names: ``items``, ``errored``, ``fidelity_mean``, ``escalated``, ``escalation_rate``,
``safety_slip_count``, ``failure.<class>.count``, ``check.<name>.pass_rate``,
``grader.<name>.pass_rate``, ``grader_error_rate``, ``judge_error_rate``,
``condition.<c>.fidelity_mean``, ``condition.<c>.escalation_rate``, ``condition.<c>.items``,
``condition.<c>.safety_slip_count``, the dashboard's
``pct_diagnosis_first``, ``questions_per_tutor_turn``, ``pct_reinforcement``, and, when the run
has both a ``base`` and an ``overlay`` condition, ``overlay_minus_base_fidelity`` with its 95 %
interval ``overlay_minus_base_fidelity_ci_low``/``_ci_high``.
"""

from __future__ import annotations

import difflib
import re
from typing import get_args

from tutorloop.analyse.compare import Comparison
from tutorloop.analyse.summary import RunSummary
from tutorloop.decide import DEFAULT_FAILURE_CLASSES
from tutorloop.records import OVER_SCAFFOLDING_CHECK, SAFETY_CHECK, STUDY_MODE_CHECKS, Condition

_RUN_METRICS = (
    "items",
    "errored",
    "fidelity_mean",
    "escalated",
    "escalation_rate",
    "safety_slip_count",
    "grader_error_rate",
    "judge_error_rate",
    "pct_diagnosis_first",
    "questions_per_tutor_turn",
    "pct_reinforcement",
    "overlay_minus_base_fidelity",
    "overlay_minus_base_fidelity_ci_low",
    "overlay_minus_base_fidelity_ci_high",
)
_CONDITION_METRICS = ("fidelity_mean", "items", "safety_slip_count", "escalation_rate")
_GRADER_METRIC = re.compile(r"^grader\.[^.].*\.pass_rate$")


def run_metrics(summary: RunSummary, comparison: Comparison | None = None) -> dict[str, float]:
    """Every metric of ``summary`` (and of a base-vs-overlay ``comparison``)."""
    total = summary.items + summary.errored
    metrics: dict[str, float] = {
        "items": float(total),
        "errored": float(summary.errored),
        "fidelity_mean": summary.fidelity_mean,
        "escalated": float(summary.escalated),
        "escalation_rate": summary.escalated / summary.items if summary.items else 0.0,
        "safety_slip_count": float(summary.failures.get("safety_slip", 0)),
        "grader_error_rate": summary.grader_errors / summary.items if summary.items else 0.0,
        "judge_error_rate": summary.judge_errors / summary.items if summary.items else 0.0,
    }
    metrics.update({k: float(v) for k, v in summary.dashboard.items()})
    for name, count in summary.failures.items():
        metrics[f"failure.{name}.count"] = float(count)
    for name, rate in summary.checks.items():
        metrics[f"check.{name}.pass_rate"] = rate.pass_rate
    for name, grader in summary.graders.items():
        graded = grader.passed + grader.failed
        if graded:
            metrics[f"grader.{name}.pass_rate"] = grader.passed / graded
    for name, condition in summary.conditions.items():
        metrics[f"condition.{name}.fidelity_mean"] = condition.fidelity_mean
        metrics[f"condition.{name}.items"] = float(condition.items)
        metrics[f"condition.{name}.safety_slip_count"] = float(
            condition.failures.get("safety_slip", 0)
        )
        if condition.items:
            metrics[f"condition.{name}.escalation_rate"] = condition.escalated / condition.items
    if comparison is not None and comparison.delta is not None:
        metrics["overlay_minus_base_fidelity"] = comparison.delta
        if comparison.ci_low is not None and comparison.ci_high is not None:
            metrics["overlay_minus_base_fidelity_ci_low"] = comparison.ci_low
            metrics["overlay_minus_base_fidelity_ci_high"] = comparison.ci_high
    return metrics


def metric_names() -> list[str]:
    """Every metric name a run can have, except ``grader.<name>.pass_rate`` (any grader)."""
    checks = [str(c) for c in STUDY_MODE_CHECKS] + [OVER_SCAFFOLDING_CHECK, SAFETY_CHECK]
    names = list(_RUN_METRICS)
    names += [f"failure.{name}.count" for name in DEFAULT_FAILURE_CLASSES]
    names += [f"check.{name}.pass_rate" for name in checks]
    names += [f"condition.{c}.{m}" for c in get_args(Condition) for m in _CONDITION_METRICS]
    return names


def metric_problem(name: str) -> str | None:
    """Why ``name`` is not a metric a run can have, with the nearest names; None when it is."""
    known = metric_names()
    if name in known or _GRADER_METRIC.match(name):
        return None
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
    if close:
        return f"unknown metric '{name}'; did you mean {' or '.join(repr(c) for c in close)}?"
    return (
        f"unknown metric '{name}'; metrics are e.g. fidelity_mean, "
        "condition.overlay.fidelity_mean, check.<check>.pass_rate, grader.<name>.pass_rate "
        "(tutorloop gate RUN --json lists a run's metrics)"
    )
