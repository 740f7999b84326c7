"""Training data for a learned grader: the labelled turn items of one dimension."""

from __future__ import annotations

from pathlib import Path

from tutorloop.errors import UserError
from tutorloop.grade.learned.model import TrainingData
from tutorloop.load import LabelSet


def training_data(labelset: LabelSet, dimension: str) -> TrainingData:
    """The turn items of ``labelset`` with a (majority) label on ``dimension``.

    Raises:
        UserError: the dimension has no labels, or its labelled items carry no text.
    """
    gold = labelset.gold(dimension)
    if not gold:
        known = ", ".join(labelset.dimensions()) or "none"
        raise UserError(
            f"{labelset.path}: no labels for dimension {dimension!r}; dimensions: {known}"
        )
    ids = [i for i in gold if i in labelset.items and labelset.items[i].response]
    if not ids:
        raise UserError(
            f"{labelset.path}: the items labelled on {dimension!r} carry no response text; "
            "a learned grader reads (history, response) turn items"
        )
    return TrainingData(
        dimension=dimension,
        items=[labelset.items[i] for i in ids],
        labels=[gold[i] for i in ids],
        groups=[labelset.group_of(i) for i in ids],
        file_name=Path(labelset.path).name,
        sha256=labelset.sha256,
    )
