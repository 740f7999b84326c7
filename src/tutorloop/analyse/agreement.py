"""How well a grader agrees with people: accuracy, exact and lenient macro-F1, Cohen's κ.

Every point estimate comes from scikit-learn's metrics. Intervals are percentile bootstrap
intervals over dialogues (groups), not over items, because the responses to one dialogue are not
independent. Lenient scores read "To some extent" (and every "Yes (…)") as "Yes".

The bootstrap computes the same four metrics (scikit-learn's definitions, a test compares them)
from one confusion matrix per resample with NumPy: scikit-learn's input validation costs about
a hundred times the arithmetic on these small label lists, and a report makes 200 resamples for
each grader and dimension.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, Field

from tutorloop.analyse.predictions import Prediction
from tutorloop.records import lenient

METRICS = ("accuracy", "macro_f1", "lenient_macro_f1", "kappa")


class AgreementScore(BaseModel):
    """Agreement of one grader version with the human labels on one dimension."""

    grader: str
    version: str
    dimension: str
    n: int
    """Items both the grader and the people labelled."""
    accuracy: float
    macro_f1: float
    lenient_macro_f1: float
    kappa: float | None
    """Cohen's κ; None when it is undefined (one label everywhere)."""
    labels: list[str]
    confusion: list[list[int]]
    """Rows: human label; columns: grader label; in the order of ``labels``."""
    ci: dict[str, tuple[float, float]] = Field(default_factory=dict)
    """95 % bootstrap interval of each metric, resampling dialogues."""
    label_source: str = "human"
    """Who gave the reference labels (``human``, ``author``, ``model``, ``mixed``): only
    ``human`` is agreement with people."""


class RaterAgreement(BaseModel):
    """Agreement between two human raters on the items both labelled."""

    dimension: str
    rater_a: str
    rater_b: str
    n: int
    percent_agreement: float
    kappa: float | None


def _scores(y_true: Sequence[str], y_pred: Sequence[str], labels: list[str]) -> dict[str, float]:
    with warnings.catch_warnings():  # one label everywhere: κ is undefined, reported as None
        warnings.simplefilter("ignore", (UserWarning, RuntimeWarning))
        return _metrics(y_true, y_pred, labels)


def _metrics(y_true: Sequence[str], y_pred: Sequence[str], labels: list[str]) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, cohen_kappa_score, f1_score

    true_l = [lenient(v) for v in y_true]
    pred_l = [lenient(v) for v in y_pred]
    kappa = float("nan")
    if len(set(y_true) | set(y_pred)) > 1:
        kappa = float(cohen_kappa_score(y_true, y_pred, labels=labels))
    return {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "macro_f1": float(f1_score(y_true, y_pred, average="macro", zero_division=0)),
        "lenient_macro_f1": float(f1_score(true_l, pred_l, average="macro", zero_division=0)),
        "kappa": kappa,
    }


class _Coded:
    """Two label lists as integer codes, scored on any selection of their positions."""

    def __init__(self, y_true: Sequence[str], y_pred: Sequence[str], labels: list[str]) -> None:
        import numpy as np

        index = {label: i for i, label in enumerate(labels)}
        self.k = len(labels)
        self.true = np.array([index[v] for v in y_true], dtype=np.intp)
        self.pred = np.array([index[v] for v in y_pred], dtype=np.intp)
        lenient_labels = sorted({lenient(v) for v in labels})
        lenient_index = {label: i for i, label in enumerate(lenient_labels)}
        to_lenient = np.array([lenient_index[lenient(v)] for v in labels], dtype=np.intp)
        self.k_lenient = len(lenient_labels)
        self.true_lenient = to_lenient[self.true]
        self.pred_lenient = to_lenient[self.pred]

    def scores(self, idx: Any) -> dict[str, float]:
        """Accuracy, macro-F1 (exact, lenient) and κ of the items at positions ``idx``."""
        import numpy as np

        t, p = self.true[idx], self.pred[idx]
        matrix = np.bincount(t * self.k + p, minlength=self.k * self.k).reshape(self.k, self.k)
        lenient_matrix = np.bincount(
            self.true_lenient[idx] * self.k_lenient + self.pred_lenient[idx],
            minlength=self.k_lenient * self.k_lenient,
        ).reshape(self.k_lenient, self.k_lenient)
        return {
            "accuracy": float(np.trace(matrix) / max(1, len(t))),
            "macro_f1": _macro_f1(matrix),
            "lenient_macro_f1": _macro_f1(lenient_matrix),
            "kappa": _kappa(matrix),
        }


def _macro_f1(matrix: Any) -> float:
    """scikit-learn's ``f1_score(average="macro", zero_division=0)`` from a confusion matrix.

    The mean, over the labels either side used, of ``2 tp / (2 tp + fp + fn)``.
    """
    import numpy as np

    tp = np.diag(matrix)
    rows, cols = matrix.sum(axis=1), matrix.sum(axis=0)
    used = (rows + cols) > 0
    if not used.any():
        return 0.0
    f1 = 2 * tp[used] / (rows[used] + cols[used])
    return float(np.mean(f1))


def _kappa(matrix: Any) -> float:
    """scikit-learn's unweighted ``cohen_kappa_score``; NaN when one label is used everywhere."""
    import numpy as np

    rows, cols = matrix.sum(axis=1), matrix.sum(axis=0)
    if int(((rows + cols) > 0).sum()) <= 1:
        return float("nan")
    expected = np.outer(cols, rows) / cols.sum()
    off = ~np.eye(len(matrix), dtype=bool)
    denominator = expected[off].sum()
    if denominator == 0:
        return float("nan")
    return float(1 - matrix[off].sum() / denominator)


def score_labels(
    y_true: Sequence[str],
    y_pred: Sequence[str],
    groups: Sequence[str] | None = None,
    *,
    resamples: int = 200,
    seed: int = 0,
) -> dict[str, Any]:
    """Metrics, confusion matrix and (with ``groups``) bootstrap intervals of two label lists.

    Macro-F1 averages over every label either side used (scikit-learn's ``average="macro"``,
    as the BEA 2025 shared task scored).
    """
    import numpy as np
    from sklearn.metrics import confusion_matrix

    labels = sorted(set(y_true) | set(y_pred))
    point = _scores(y_true, y_pred, labels)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        matrix = confusion_matrix(y_true, y_pred, labels=labels).tolist()
    ci: dict[str, tuple[float, float]] = {}
    if groups is not None and resamples > 0:
        by_group: dict[str, list[int]] = defaultdict(list)
        for index, group in enumerate(groups):
            by_group[group].append(index)
        members = [np.asarray(m, dtype=np.intp) for m in by_group.values()]
        rng = np.random.default_rng(seed)
        samples: dict[str, list[float]] = {m: [] for m in METRICS}
        codes = _Coded(y_true, y_pred, labels)
        for _ in range(resamples):
            picked = rng.integers(0, len(members), len(members))
            s = codes.scores(np.concatenate([members[g] for g in picked]))
            for metric in METRICS:
                if not math.isnan(s[metric]):
                    samples[metric].append(s[metric])
        for metric, values in samples.items():
            if values:
                low, high = np.percentile(values, [2.5, 97.5])
                ci[metric] = (round(float(low), 4), round(float(high), 4))
    return {**point, "labels": labels, "confusion": matrix, "ci": ci}


def agreement(
    gold: Mapping[tuple[str, str], str],
    predictions: Iterable[Prediction],
    group_of: Callable[[str], str],
    *,
    dimensions: Sequence[str] | None = None,
    resamples: int = 200,
    seed: int = 0,
    label_source: str = "human",
) -> list[AgreementScore]:
    """Agreement of every (grader version, dimension) in ``predictions`` with ``gold``.

    Args:
        gold: ``(item_id, dimension) → human label`` (see :func:`gold_table`).
        predictions: graders' labels.
        group_of: the dialogue of an item, for the bootstrap.
        dimensions: only these dimensions (default: every dimension with labels).
        resamples: bootstrap resamples (0: no intervals).
        seed: the bootstrap's seed.
        label_source: who gave ``gold`` (see :func:`agreement_title`).
    """
    table: dict[tuple[str, str, str], dict[str, str]] = defaultdict(dict)
    for p in predictions:
        if dimensions is not None and p.dimension not in dimensions:
            continue
        if (p.item_id, p.dimension) in gold:
            table[(p.grader, p.version, p.dimension)][p.item_id] = p.label
    out = []
    for (grader, version, dimension), predicted in sorted(table.items()):
        ids = sorted(predicted)
        y_true = [gold[(i, dimension)] for i in ids]
        y_pred = [predicted[i] for i in ids]
        scored = score_labels(
            y_true, y_pred, [group_of(i) for i in ids], resamples=resamples, seed=seed
        )
        kappa = scored.pop("kappa")
        out.append(
            AgreementScore(
                grader=grader,
                version=version,
                dimension=dimension,
                n=len(ids),
                kappa=None if math.isnan(kappa) else kappa,
                label_source=label_source,
                **scored,
            )
        )
    return out


def agreement_title(label_source: str) -> str:
    """What agreement against labels of ``label_source`` is, said plainly.

    Only ``human`` labels make agreement with people; agreement with the graders' authors'
    labels or a model's labels is named as such, so it is never read as evidence about people.
    """
    if label_source == "human":
        return "agreement with people"
    if label_source == "author":
        return (
            "agreement with author labels (written by the authors of the graders: "
            "not evidence of agreement with people)"
        )
    if label_source == "model":
        return "agreement with a model's labels (not agreement with people)"
    return "agreement with labels of mixed sources (not only people)"


def gold_table(gold_by_dimension: Mapping[str, Mapping[str, str]]) -> dict[tuple[str, str], str]:
    """``{dimension: {item: label}}`` as the ``(item, dimension) → label`` table agreement reads."""
    return {
        (item, dimension): label
        for dimension, labels in gold_by_dimension.items()
        for item, label in labels.items()
    }


def rater_agreement(
    labels_by_item: Mapping[str, Mapping[str, str]], dimension: str, min_items: int = 2
) -> list[RaterAgreement]:
    """Pairwise agreement (percent and Cohen's κ) of raters who labelled shared items.

    Args:
        labels_by_item: ``item → {rater: value}`` for one dimension.
        dimension: the dimension's name (for the report).
        min_items: pairs with fewer shared items are left out.
    """
    from sklearn.metrics import cohen_kappa_score

    raters = sorted({r for values in labels_by_item.values() for r in values})
    out = []
    for a, b in itertools.combinations(raters, 2):
        shared = [v for v in labels_by_item.values() if a in v and b in v]
        if len(shared) < min_items:
            continue
        ya, yb = [v[a] for v in shared], [v[b] for v in shared]
        same = sum(x == y for x, y in zip(ya, yb, strict=True)) / len(shared)
        kappa = float(cohen_kappa_score(ya, yb)) if len(set(ya) | set(yb)) > 1 else math.nan
        out.append(
            RaterAgreement(
                dimension=dimension,
                rater_a=a,
                rater_b=b,
                n=len(shared),
                percent_agreement=same,
                kappa=None if math.isnan(kappa) else kappa,
            )
        )
    return out
