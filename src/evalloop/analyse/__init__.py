"""Analyses over stored results: run summaries, A/B comparison, the metrics gates read."""

from .compare import CheckComparison, Comparison, PairDelta, compare_results, pair_key
from .metrics import run_metrics
from .summary import (
    CheckRate,
    ConditionSummary,
    GraderRate,
    QueueEntry,
    RunSummary,
    summarize,
)

__all__ = [
    "CheckComparison",
    "CheckRate",
    "Comparison",
    "ConditionSummary",
    "GraderRate",
    "PairDelta",
    "QueueEntry",
    "RunSummary",
    "compare_results",
    "pair_key",
    "run_metrics",
    "summarize",
]
