"""Analyses over stored results: run summaries (agreement, calibration and A/B join later)."""

from .summary import (
    CheckRate,
    ConditionSummary,
    GraderRate,
    QueueEntry,
    RunSummary,
    summarize,
)

__all__ = [
    "CheckRate",
    "ConditionSummary",
    "GraderRate",
    "QueueEntry",
    "RunSummary",
    "summarize",
]
