"""Grouped cross-validation of a learned grader against the rules and the majority class.

Folds are ``StratifiedGroupKFold`` over dialogues (a hash of the history text, never
``conversation_id``): every response to one dialogue lands in the same fold, so no grader sees
the dialogue it is tested on. The learned grader's decision weights are tuned (and, with
``select_members``, its members chosen) by folds inside each outer training fold
(:func:`~.ensemble.fit_model`), so the protocol never selects on the fold it reports (nested
cross-validation). The learning curve trains on 10/25/50/100 % of the
training folds' dialogues and tests on the same held-out fold each time; it fits one model
(``ensemble=False``), so a curve stays a few seconds of CPU while the ensemble's nested fits
would multiply it by fifteen.
"""

from __future__ import annotations

import statistics
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from tutorloop.grade.learned.ensemble import fit_model
from tutorloop.grade.learned.pipeline import TrainConfig, build_pipeline, rows_of
from tutorloop.grade.turn import TurnHeuristics
from tutorloop.records import TurnItem, lenient

CURVE_FRACTIONS = (0.1, 0.25, 0.5, 1.0)


@dataclass
class FoldScores:
    """Exact and lenient macro-F1 of each grader on one held-out fold."""

    scores: dict[str, dict[str, float]] = field(default_factory=dict)
    """``grader → {"macro_f1", "lenient_macro_f1", "accuracy"}``."""


@dataclass
class CVReport:
    """Grouped CV of one dimension: mean scores per grader and the learning curve."""

    dimension: str
    items: int
    groups: int
    folds: list[FoldScores]
    curve: dict[float, dict[str, float]] = field(default_factory=dict)
    """``fraction of training dialogues → mean {"macro_f1", "lenient_macro_f1", "items"}``."""
    fit_seconds: float = 0.0
    """CPU time to fit the learned grader on all folds (process time)."""

    def mean(self, grader: str, metric: str) -> float:
        """Mean ``metric`` over folds for ``grader`` (``learned``, ``heuristic``, ``majority``)."""
        values = [f.scores[grader][metric] for f in self.folds if grader in f.scores]
        return statistics.fmean(values) if values else float("nan")


def _f1(y_true: Sequence[str], y_pred: Sequence[str]) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, f1_score

    return {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "macro_f1": float(f1_score(y_true, y_pred, average="macro", zero_division=0)),
        "lenient_macro_f1": float(
            f1_score(
                [lenient(v) for v in y_true],
                [lenient(v) for v in y_pred],
                average="macro",
                zero_division=0,
            )
        ),
    }


def grouped_cv(
    items: Sequence[TurnItem],
    labels: Sequence[str],
    groups: Sequence[str],
    dimension: str,
    config: TrainConfig,
    *,
    curve: bool = False,
) -> CVReport:
    """Cross-validate the learned grader, the turn heuristics and the majority class."""
    from threadpoolctl import threadpool_limits

    build_pipeline(config)  # load scikit-learn and its BLAS first, so the limit applies to it
    with threadpool_limits(limits=1):  # small sparse fits: BLAS threads only contend
        return _grouped_cv(items, labels, groups, dimension, config, curve=curve)


def _grouped_cv(
    items: Sequence[TurnItem],
    labels: Sequence[str],
    groups: Sequence[str],
    dimension: str,
    config: TrainConfig,
    *,
    curve: bool,
) -> CVReport:
    import time

    import numpy as np
    from sklearn.model_selection import StratifiedGroupKFold

    rows = rows_of(items, config.history_chars)
    y = np.asarray(labels)
    splitter = StratifiedGroupKFold(n_splits=config.folds, shuffle=True, random_state=config.seed)
    heuristic = {v.item_id: v.label for v in TurnHeuristics().predict(items, dimension)}
    report = CVReport(dimension, len(items), len(set(groups)), [])
    curve_scores: dict[float, list[dict[str, float]]] = {f: [] for f in CURVE_FRACTIONS}
    rng = np.random.default_rng(config.seed)
    single = config.model_copy(update={"ensemble": False})
    fit_time = 0.0
    with warnings.catch_warnings():  # a label rarer than the folds is expected (Offensive: 1)
        warnings.simplefilter("ignore", UserWarning)
        splits = list(splitter.split(rows, y, groups))
    for train, test in splits:
        fold = FoldScores()
        y_test = [labels[i] for i in test]
        start = time.process_time()
        train_groups = [groups[i] for i in train]
        model = fit_model([rows[i] for i in train], y[train], train_groups, config)
        fit_time += time.process_time() - start
        fold.scores["learned"] = _f1(y_test, list(model.predict([rows[i] for i in test])))
        majority = Counter(labels[i] for i in train).most_common(1)[0][0]
        fold.scores["majority"] = _f1(y_test, [majority] * len(test))
        if heuristic:
            fold.scores["heuristic"] = _f1(y_test, [heuristic[items[i].item_id] for i in test])
        report.folds.append(fold)
        if curve:
            distinct = sorted(set(train_groups))
            for fraction in CURVE_FRACTIONS:
                keep_n = max(2, round(fraction * len(distinct)))
                keep = set(rng.choice(distinct, size=keep_n, replace=False).tolist())
                subset = [i for i in train if groups[i] in keep]
                if len({labels[i] for i in subset}) < 2:
                    continue
                sub_model = fit_model(
                    [rows[i] for i in subset], y[subset], [groups[i] for i in subset], single
                )
                scores = _f1(y_test, list(sub_model.predict([rows[i] for i in test])))
                curve_scores[fraction].append({**scores, "items": float(len(subset))})
    report.fit_seconds = fit_time
    for fraction, runs in curve_scores.items():
        if runs:
            report.curve[fraction] = {
                key: statistics.fmean(run[key] for run in runs) for key in runs[0]
            }
    return report
