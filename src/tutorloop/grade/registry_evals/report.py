"""The final report of a registry eval run, with oaieval's field names for each class.

* ``Match``: ``accuracy`` and ``boostrap_std`` (spelled as oaieval spells it): the standard
  deviation of the accuracy of 1,000 random half-samples, drawn with the run's seed.
* ``Includes``, ``JsonMatch``: ``accuracy``.
* ``FuzzyMatch``: ``accuracy`` and ``f1_score`` (means over the samples).
* ``ModelBasedClassify``: ``counts/choice/<choice>`` for each choice made (``__invalid__``
  included), ``score/choice`` when the spec scores its choices (an invalid choice scores the
  lowest), and ``invalid_request_during_completion`` / ``invalid_request_during_evaluation``:
  samples whose candidate or judge call the provider refused as a bad request.

Only samples with a verdict count in the means; a metric over no samples is None (never NaN, so
the report is valid JSON).
"""

from __future__ import annotations

import random
import statistics
from collections import Counter
from collections.abc import Sequence

from tutorloop.grade.registry_evals.classes import RegistryCheck
from tutorloop.grade.registry_evals.classify import INVALID_CHOICE, ModelBasedClassify
from tutorloop.records import GraderResult

__all__ = ["BOOTSTRAP_SAMPLES", "bootstrap_std", "final_report"]

BOOTSTRAP_SAMPLES = 1000
"""Half-samples drawn for ``boostrap_std``."""
_BAD_REQUEST = "ProviderRequestError"


def bootstrap_std(
    values: Sequence[float], seed: int, draws: int = BOOTSTRAP_SAMPLES
) -> float | None:
    """The standard deviation of the mean of ``draws`` random halves of ``values`` (seeded)."""
    half = len(values) // 2
    if half == 0:
        return None
    rng = random.Random(seed)
    means = [statistics.fmean(rng.sample(list(values), half)) for _ in range(draws)]
    return statistics.pstdev(means)


def _mean(values: Sequence[float]) -> float | None:
    return statistics.fmean(values) if values else None


def final_report(
    check: RegistryCheck, results: Sequence[GraderResult], seed: int
) -> dict[str, float | int | None]:
    """Oaieval's final report of ``check``'s class over the samples' ``results``."""
    graded = [r for r in results if r.error is None]
    if isinstance(check, ModelBasedClassify):
        return _classify_report(check, results, graded)
    accuracy = [float(r.sub_scores.get("accuracy") or 0.0) for r in graded]
    report: dict[str, float | int | None] = {"accuracy": _mean(accuracy)}
    if check.KIND == "Match":
        report["boostrap_std"] = bootstrap_std(accuracy, seed)
    if check.KIND == "FuzzyMatch":
        report["f1_score"] = _mean([float(r.sub_scores.get("f1_score") or 0.0) for r in graded])
    return report


def _classify_report(
    check: ModelBasedClassify, results: Sequence[GraderResult], graded: Sequence[GraderResult]
) -> dict[str, float | int | None]:
    refused = Counter(
        r.reason for r in results if r.error is not None and r.error.type == _BAD_REQUEST
    )
    report: dict[str, float | int | None] = {
        "invalid_request_during_completion": refused["completion"],
        "invalid_request_during_evaluation": refused["evaluation"],
    }
    if not graded:
        return report
    chosen = [r.label or INVALID_CHOICE for r in graded]
    scores = check.scores
    if scores is not None:
        lowest = min(scores.values())
        values = [scores.get(c, lowest) for c in chosen]
        report["score/choice"] = sum(values) / len(graded)
    for choice, count in sorted(Counter(chosen).items()):
        report[f"counts/choice/{choice}"] = count
    return report
