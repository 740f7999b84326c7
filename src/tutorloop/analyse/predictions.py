"""Graders' answers in one shape, whatever produced them: a graded run or a predictions file."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from tutorloop.records import ESCALATE_DIMENSION, EvalResult, LabelPrediction

ESCALATE = ESCALATE_DIMENSION
"""The dimension of the escalation decision (labels ``yes``/``no``)."""


@dataclass(frozen=True)
class Prediction:
    """One grader's label for one dimension of one item, with its probabilities when known."""

    item_id: str
    dimension: str
    label: str
    grader: str
    version: str
    scores: dict[str, float] = field(default_factory=dict)
    """Probability (or confidence) of each label value."""
    trained_on: str | None = None
    """sha256 of the labels a learned grader was trained on."""

    @property
    def key(self) -> tuple[str, str]:
        """``(grader, version)``: agreement is reported per grader version."""
        return (self.grader, self.version)


def item_id_of(key: str, result: EvalResult) -> str:
    """The label item id of a stored run item: the session id for logged sessions."""
    if result.condition in (None, "human"):
        return result.session_id
    return key


def predictions_from_results(
    results: Iterable[tuple[str, EvalResult | None]], run_id: str = ""
) -> Iterator[Prediction]:
    """Every check verdict, testing-criteria grader and escalation of a graded run.

    A check becomes dimension ``<check name>`` with label ``pass``/``fail``/``unsure``; a
    grader becomes ``<grader name>`` with ``pass``/``fail``; the decision becomes ``escalate``
    with ``yes``/``no`` and the probability ``1 - fidelity`` of ``yes``. A learned grader
    becomes its own dimension with the label of the session's worst turn and that turn's
    probabilities.
    """
    for key, result in results:
        if result is None:
            continue
        item = item_id_of(key, result)
        for check in result.checks:
            verdict = check.verdict or ("pass" if check.passed else "fail")
            version = check.grader_version or check.source
            scores: dict[str, float] = (
                {verdict: check.confidence} if check.confidence is not None else {}
            )
            yield Prediction(item, check.name, verdict, check.source, version, scores)
        for grader in result.graders:
            if grader.type == "learned" and grader.dimension and grader.label:
                scores = {k: v for k, v in grader.sub_scores.items() if v is not None}
                yield Prediction(
                    item, grader.dimension, grader.label, grader.name, grader.version, scores
                )
            elif grader.error is None and grader.passed is not None:
                label = "pass" if grader.passed else "fail"
                yield Prediction(item, grader.name, label, grader.type, grader.version)
        risk = 1.0 - result.pedagogical_fidelity_score
        yield Prediction(
            item,
            ESCALATE,
            "yes" if result.escalate else "no",
            "decide",
            run_id or "decide",
            {"yes": risk, "no": 1.0 - risk},
        )


def predictions_from_records(records: Iterable[LabelPrediction]) -> Iterator[Prediction]:
    """Predictions of ``learn predict`` output lines."""
    for record in records:
        scores = dict(record.scores) or {record.label: record.probability}
        yield Prediction(
            record.item_id,
            record.dimension,
            record.label,
            record.grader,
            record.grader_version,
            scores,
            record.trained_on,
        )
