"""Analyses over stored results: run summaries, A/B comparison, the metrics gates read."""

from .agreement import (
    AgreementScore,
    RaterAgreement,
    agreement,
    gold_table,
    rater_agreement,
    score_labels,
)
from .calibration import Calibration, Objective, ThresholdPoint, calibrate
from .compare import CheckComparison, Comparison, PairDelta, compare_results, pair_key
from .cost import (
    Confusion,
    CostModel,
    PolicyCost,
    calculate_learning_cost,
    compare_policies,
    confusion_of_labels,
    policy_cost,
)
from .metrics import run_metrics
from .next_items import Candidate, NextConfig, Vote, rank_items
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
    "Calibration",
    "Candidate",
    "CheckComparison",
    "CheckRate",
    "Comparison",
    "ConditionSummary",
    "Confusion",
    "CostModel",
    "GraderRate",
    "NextConfig",
    "Objective",
    "PairDelta",
    "PolicyCost",
    "Prediction",
    "QueueEntry",
    "RaterAgreement",
    "RunSummary",
    "ThresholdPoint",
    "Vote",
    "agreement",
    "calculate_learning_cost",
    "calibrate",
    "compare_policies",
    "compare_results",
    "confusion_of_labels",
    "gold_table",
    "pair_key",
    "policy_cost",
    "predictions_from_records",
    "predictions_from_results",
    "rank_items",
    "rater_agreement",
    "run_metrics",
    "score_labels",
    "summarize",
]
