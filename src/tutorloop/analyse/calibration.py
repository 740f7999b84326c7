"""Pick a grader's threshold: the one that agrees best with people, or that costs least.

A score is the grader's probability that an item *needs attention* (for a graded run's
escalation: ``1 − fidelity``). Flagging every item whose score is at least the threshold gives
a confusion matrix against the human labels; the sweep scores each candidate threshold by
Cohen's κ, macro-F1 and the expected cost of :mod:`.cost`. Reliability (Brier score and the
calibration curve) says whether the scores can be read as probabilities.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel

from tutorloop.analyse.cost import Confusion, CostModel, policy_cost

Objective = Literal["kappa", "macro_f1", "cost"]


class ThresholdPoint(BaseModel):
    """One candidate threshold and what it gives."""

    threshold: float
    confusion: Confusion
    kappa: float | None
    macro_f1: float
    cost: float


class Calibration(BaseModel):
    """The sweep, the chosen threshold and the reliability of the scores."""

    objective: Objective
    n: int
    positives: int
    best: ThresholdPoint
    current: ThresholdPoint | None
    """The threshold in use now, when given."""
    points: list[ThresholdPoint]
    brier: float
    """Mean squared error of the scores as probabilities (lower is better)."""
    reliability: list[tuple[float, float]]
    """``(mean score, share positive)`` per bin: the calibration curve."""


def _point(
    threshold: float, truth: Sequence[bool], scores: Sequence[float], model: CostModel
) -> ThresholdPoint:
    from sklearn.metrics import cohen_kappa_score, f1_score

    flagged = [s >= threshold for s in scores]
    kappa = math.nan
    if len(set(truth) | set(flagged)) > 1:
        kappa = float(cohen_kappa_score(truth, flagged))
    return ThresholdPoint(
        threshold=round(threshold, 6),
        confusion=Confusion.of(truth, flagged),
        kappa=None if math.isnan(kappa) else kappa,
        macro_f1=float(f1_score(truth, flagged, average="macro", zero_division=0)),
        cost=policy_cost("", Confusion.of(truth, flagged), model).total,
    )


def calibrate(
    truth: Sequence[bool],
    scores: Sequence[float],
    objective: Objective = "kappa",
    model: CostModel | None = None,
    current: float | None = None,
) -> Calibration:
    """Sweep thresholds over the distinct scores (and 0 and 1) and pick the best.

    Args:
        truth: per item, whether people say it needs attention.
        scores: per item, the grader's score that it does (in [0, 1]).
        objective: maximise ``kappa`` or ``macro_f1``, or minimise ``cost``.
        model: the cost model (defaults: the notebook's).
        current: the threshold in use, to compare with.
    """
    import numpy as np
    from sklearn.calibration import calibration_curve
    from sklearn.metrics import brier_score_loss

    if not truth:
        raise ValueError("no labelled items to calibrate on")
    cost_model = model or CostModel()
    candidates = sorted({0.0, 1.0 + 1e-9, *(round(float(s), 6) for s in scores)})
    points = [_point(t, truth, scores, cost_model) for t in candidates]

    def rank(p: ThresholdPoint) -> float:
        if objective == "cost":
            return -p.cost
        if objective == "kappa":
            return p.kappa if p.kappa is not None else -1.0
        return p.macro_f1

    best = max(points, key=rank)
    clipped = np.clip(np.asarray(scores, dtype=float), 0.0, 1.0)
    y = np.asarray(truth, dtype=int)
    reliability: list[tuple[float, float]] = []
    brier = float("nan")
    if len(set(truth)) > 1:
        brier = float(brier_score_loss(y, clipped))
        share, mean = calibration_curve(y, clipped, n_bins=5, strategy="quantile")
        pairs = zip(mean, share, strict=True)
        reliability = [(round(float(m), 4), round(float(s), 4)) for m, s in pairs]
    return Calibration(
        objective=objective,
        n=len(truth),
        positives=int(sum(truth)),
        best=best,
        current=_point(current, truth, scores, cost_model) if current is not None else None,
        points=points,
        brier=brier,
        reliability=reliability,
    )
