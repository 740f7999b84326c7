"""Analyses over stored results: run summaries, A/B comparison, the metrics gates read."""

from .agreement import (
    AgreementScore,
    RaterAgreement,
    agreement,
    gold_table,
    rater_agreement,
    score_labels,
)
from .compare import CheckComparison, Comparison, PairDelta, compare_results, pair_key
from .metrics import run_metrics
from .predictions import (
    ESCALATE,
    Prediction,
    predictions_from_records,
    predictions_from_results,
)
from .summary import (
    CheckRate,
    ConditionSummary,
    GraderRate,
    QueueEntry,
    RunSummary,
    summarize,
)

__all__ = [
    "ESCALATE",
    "AgreementScore",
    "CheckComparison",
    "CheckRate",
    "Comparison",
    "ConditionSummary",
    "GraderRate",
    "PairDelta",
    "Prediction",
    "QueueEntry",
    "RaterAgreement",
    "RunSummary",
    "agreement",
    "compare_results",
    "gold_table",
    "pair_key",
    "predictions_from_records",
    "predictions_from_results",
    "rater_agreement",
    "run_metrics",
    "score_labels",
    "summarize",
]
