"""The learned grader's ensemble: differently-featured linear models, averaged, with tuned weights.

Fitting (:func:`fit_model`) first runs dialogue-grouped folds *inside the training data*
(``inner_folds``): each member is fitted on the other folds and predicts the held-out one, so
every training item gets out-of-fold probabilities. The per-class decision weights that
maximise macro-F1 on those out-of-fold probabilities are kept (coordinate ascent over a small
grid), then every member is refitted on all the training data. The label of a turn is the class
with the highest weighted average probability; its scores are the unweighted average.

Cross-validation calls :func:`fit_model` on each outer training fold only, so the weights are
never tuned on the fold that is reported (nested cross-validation).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

from tutorloop.grade.learned.pipeline import MEMBERS, Row, TrainConfig, build_pipeline

WEIGHT_GRID = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.15, 1.3, 1.5, 1.75, 2.0, 2.5, 3.0)
"""The per-class decision weights the tuning tries."""


class Ensemble:
    """Fitted members whose class probabilities are averaged, and per-class decision weights."""

    def __init__(self, members: list[Any], weights: list[float]) -> None:
        self.members = members
        self.classes_ = members[0].classes_
        self.weights = weights

    def predict_proba(self, rows: Sequence[Row]) -> Any:
        """The members' mean class probabilities, one row per input row."""
        total = self.members[0].predict_proba(rows)
        for member in self.members[1:]:
            total = total + member.predict_proba(rows)
        return total / len(self.members)

    def predict(self, rows: Sequence[Row]) -> Any:
        """The class with the highest weighted mean probability for each row."""
        import numpy as np

        weighted = self.predict_proba(rows) * np.asarray(self.weights)
        return self.classes_[weighted.argmax(axis=1)]


def _macro_f1(y: Any, predicted: Any) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(y, predicted, average="macro", zero_division=0))


def tune_weights(probabilities: Any, y: Any, classes: Any) -> list[float]:
    """Per-class weights on ``probabilities`` that maximise macro-F1 against ``y``.

    Coordinate ascent over :data:`WEIGHT_GRID`, three passes; a tie keeps the current weight,
    so without a gain the weights stay at 1.
    """
    import numpy as np

    weights = np.ones(len(classes))
    best = _macro_f1(y, classes[(probabilities * weights).argmax(axis=1)])
    for _ in range(3):
        improved = False
        for k in range(len(classes)):
            for value in WEIGHT_GRID:
                trial = weights.copy()
                trial[k] = value
                score = _macro_f1(y, classes[(probabilities * trial).argmax(axis=1)])
                if score > best + 1e-9:
                    best, weights, improved = score, trial, True
        if not improved:
            break
    return [float(w) for w in weights]


def _out_of_fold(
    rows: Sequence[Row], y: Any, groups: Sequence[str], config: TrainConfig
) -> tuple[Any, Any] | None:
    """Mean member probabilities of each row from models that did not see its dialogue."""
    import numpy as np
    from sklearn.model_selection import StratifiedGroupKFold

    if len(set(groups)) < config.inner_folds:
        return None
    classes = np.unique(y)
    splitter = StratifiedGroupKFold(
        n_splits=config.inner_folds, shuffle=True, random_state=config.seed + 1
    )
    with warnings.catch_warnings():  # a label rarer than the folds is expected
        warnings.simplefilter("ignore", UserWarning)
        splits = list(splitter.split(rows, y, groups))
    probabilities = np.zeros((len(rows), len(classes)))
    for train, test in splits:
        if len(set(y[train])) < 2:
            return None
        for member in MEMBERS:
            model = build_pipeline(config, member).fit([rows[i] for i in train], y[train])
            columns = np.searchsorted(classes, model.classes_)
            probabilities[np.ix_(test, columns)] += model.predict_proba([rows[i] for i in test])
    return probabilities / len(MEMBERS), classes


def fit_model(rows: Sequence[Row], y: Any, groups: Sequence[str], config: TrainConfig) -> Any:
    """A fitted grader for ``config``: the tuned :class:`Ensemble`, or one pipeline."""
    import numpy as np

    y = np.asarray(y)
    if not config.ensemble:
        return build_pipeline(config).fit(rows, y)
    members = [build_pipeline(config, member).fit(rows, y) for member in MEMBERS]
    found = _out_of_fold(rows, y, groups, config)
    weights = [1.0] * len(members[0].classes_)
    if found is not None:
        probabilities, classes = found
        tuned = tune_weights(probabilities, y, classes)
        by_class = dict(zip(classes.tolist(), tuned, strict=True))
        weights = [by_class.get(c, 1.0) for c in members[0].classes_.tolist()]
    return Ensemble(members, weights)
