"""The learned grader's ensemble: differently-featured linear models, averaged, with tuned weights.

Fitting (:func:`fit_model`) first runs dialogue-grouped folds *inside the training data*
(``inner_folds``): each member is fitted on the other folds and predicts the held-out one, so
every training item gets out-of-fold probabilities from every member. The per-class decision
weights that maximise macro-F1 of the members' average on those probabilities are kept
(coordinate ascent over a small grid), then every member is refitted on all the training data.
The label of a turn is the class with the highest weighted average probability; its scores are
the unweighted average.

The members are the three :data:`~.pipeline.MEMBERS`, or, with ``select_members``, chosen
from :data:`~.pipeline.POOL` on the same out-of-fold probabilities by greedy forward selection
with repetition (each step adds the candidate whose inclusion gives the best macro-F1 after
weight tuning; it stops when no candidate improves it, or after ``max_members`` picks).

Cross-validation calls :func:`fit_model` on each outer training fold only, so neither the members
nor the weights are ever chosen on the fold that is reported (nested cross-validation).
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Sequence
from typing import Any

from tutorloop.grade.learned.pipeline import MEMBERS, POOL, Row, TrainConfig, build_pipeline

WEIGHT_GRID = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.15, 1.3, 1.5, 1.75, 2.0, 2.5, 3.0)
"""The per-class decision weights the tuning tries."""


class Ensemble:
    """Fitted members whose class probabilities are averaged, and per-class decision weights.

    ``names`` are the members' :data:`~.pipeline.POOL` names and ``counts`` how many times each
    was picked (its share of the average); ensembles of implementation 2 have neither and count
    each member once.
    """

    def __init__(
        self,
        members: list[Any],
        weights: list[float],
        counts: list[int] | None = None,
        names: list[str] | None = None,
    ) -> None:
        self.members = members
        self.classes_ = members[0].classes_
        self.weights = weights
        self.counts = counts or [1] * len(members)
        self.names = names or list(MEMBERS)

    def predict_proba(self, rows: Sequence[Row]) -> Any:
        """The members' mean class probabilities, one row per input row."""
        counts = getattr(self, "counts", None) or [1] * len(self.members)
        total = self.members[0].predict_proba(rows) * counts[0]
        for member, count in zip(self.members[1:], counts[1:], strict=True):
            total = total + member.predict_proba(rows) * count
        return total / sum(counts)

    def predict(self, rows: Sequence[Row]) -> Any:
        """The class with the highest weighted mean probability for each row."""
        import numpy as np

        weighted = self.predict_proba(rows) * np.asarray(self.weights)
        return self.classes_[weighted.argmax(axis=1)]


def macro_f1_codes(truth: Any, predicted: Any, n_classes: int) -> float:
    """Macro-F1 of integer class codes, over the classes in ``truth`` or ``predicted``.

    Equal to scikit-learn's ``f1_score(average="macro", zero_division=0)``, without its
    overhead (the weight search and the member selection call it thousands of times).
    """
    import numpy as np

    confusion = np.bincount(truth * n_classes + predicted, minlength=n_classes * n_classes)
    confusion = confusion.reshape(n_classes, n_classes)
    hits = np.diag(confusion).astype(float)
    actual, guessed = confusion.sum(axis=1), confusion.sum(axis=0)
    present = (actual + guessed) > 0
    denominator = actual + guessed
    f1 = np.divide(2 * hits, denominator, out=np.zeros(n_classes), where=denominator > 0)
    return float(f1[present].mean()) if present.any() else 0.0


def tune_weights(probabilities: Any, y: Any, classes: Any) -> list[float]:
    """Per-class weights on ``probabilities`` that maximise macro-F1 against ``y``.

    Coordinate ascent over :data:`WEIGHT_GRID`, three passes; a tie keeps the current weight,
    so without a gain the weights stay at 1.
    """
    import numpy as np

    codes = np.searchsorted(classes, y)
    return _tune(probabilities, codes, len(classes))[0]


def _tune(probabilities: Any, codes: Any, n_classes: int) -> tuple[list[float], float]:
    import numpy as np

    weights = np.ones(n_classes)
    best = macro_f1_codes(codes, (probabilities * weights).argmax(axis=1), n_classes)
    for _ in range(3):
        improved = False
        for k in range(n_classes):
            for value in WEIGHT_GRID:
                trial = weights.copy()
                trial[k] = value
                score = macro_f1_codes(codes, (probabilities * trial).argmax(axis=1), n_classes)
                if score > best + 1e-9:
                    best, weights, improved = score, trial, True
        if not improved:
            break
    return [float(w) for w in weights], best


def select_members(
    probabilities: dict[str, Any], codes: Any, n_classes: int, max_members: int
) -> list[str]:
    """Greedy forward selection, with repetition, of members whose average scores best.

    ``probabilities`` maps each candidate to its out-of-fold class probabilities. Each step
    adds the candidate that gives the highest macro-F1 after weight tuning (the first in pool
    order on a tie); selection stops when no candidate improves the score.
    """
    import numpy as np

    picks: list[str] = []
    total = np.zeros_like(next(iter(probabilities.values())))
    best = -1.0
    for _ in range(max_members):
        scored = [
            (_tune((total + found) / (len(picks) + 1), codes, n_classes)[1], name)
            for name, found in probabilities.items()
        ]
        score, name = max(scored, key=lambda pair: pair[0])  # max keeps the first of ties
        if picks and score <= best + 1e-9:
            break
        picks.append(name)
        total = total + probabilities[name]
        best = score
    return picks


def _out_of_fold(
    rows: Sequence[Row], y: Any, groups: Sequence[str], config: TrainConfig, names: Sequence[str]
) -> tuple[dict[str, Any], Any] | None:
    """Each candidate's probabilities of each row from models that did not see its dialogue."""
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
    found = {name: np.zeros((len(rows), len(classes))) for name in names}
    for train, test in splits:
        if len(set(y[train])) < 2:
            return None
        for name in names:
            model = build_pipeline(config, name).fit([rows[i] for i in train], y[train])
            columns = np.searchsorted(classes, model.classes_)
            found[name][np.ix_(test, columns)] += model.predict_proba([rows[i] for i in test])
    return found, classes


def fit_model(rows: Sequence[Row], y: Any, groups: Sequence[str], config: TrainConfig) -> Any:
    """A fitted grader for ``config``: the tuned :class:`Ensemble`, or one pipeline."""
    import numpy as np

    y = np.asarray(y)
    if not config.ensemble:
        return build_pipeline(config).fit(rows, y)
    names: Sequence[str] = tuple(POOL) if config.select_members else MEMBERS
    found = _out_of_fold(rows, y, groups, config, names)
    chosen = list(MEMBERS)
    weights_by_class: dict[Any, float] = {}
    if found is not None:
        probabilities, classes = found
        codes = np.searchsorted(classes, y)
        if config.select_members:
            chosen = select_members(probabilities, codes, len(classes), config.max_members)
        mean = sum(probabilities[name] for name in chosen) / len(chosen)
        tuned, _ = _tune(mean, codes, len(classes))
        weights_by_class = dict(zip(classes.tolist(), tuned, strict=True))
    counts = Counter(chosen)
    members = [build_pipeline(config, name).fit(rows, y) for name in counts]
    weights = [weights_by_class.get(c, 1.0) for c in members[0].classes_.tolist()]
    return Ensemble(members, weights, list(counts.values()), list(counts))
