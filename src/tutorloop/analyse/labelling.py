"""Graders' answers for the label loop, from wherever they live.

A *run source* is a stored run id (its checks, graders and escalations) or a predictions file
written by ``learn predict``. A *turn grader* is ``heuristic`` (the turn rules),
``judge:<provider/model>`` (a model with the bundled rubric per dimension) or a learned
grader's folder; it grades turn items on the spot.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Protocol

from tutorloop.analyse.next_items import Vote
from tutorloop.analyse.predictions import (
    Prediction,
    predictions_from_records,
    predictions_from_results,
)
from tutorloop.grade import LearnedGrader, TurnHeuristics, TurnJudge, TurnVerdict, load_learned
from tutorloop.load import LabelSet, read_predictions
from tutorloop.records import LabelPrediction, TurnItem
from tutorloop.store import Store

HEURISTIC = "heuristic"
JUDGE_PREFIX = "judge:"


class TurnGrader(Protocol):
    """What the label loop needs of a turn grader (the turn rules or a learned model)."""

    @property
    def name(self) -> str:
        """The grader's name."""

    @property
    def version(self) -> str:
        """Its version (changes with its rules or its model)."""

    @property
    def dimensions(self) -> list[str]:
        """The rubric dimensions it predicts."""

    def predict(self, items: Sequence[TurnItem], dimension: str) -> list[TurnVerdict]:
        """One verdict per item for ``dimension``."""


def turn_grader(spec: str) -> TurnGrader:
    """``heuristic``, ``judge:<provider/model>`` or the folder of a learned grader.

    Raises:
        ConfigError: the folder is not a learned grader.
    """
    if spec == HEURISTIC:
        return TurnHeuristics()
    if spec.startswith(JUDGE_PREFIX):
        return TurnJudge(spec[len(JUDGE_PREFIX) :])
    return load_learned(spec)


def label_predictions(
    grader: TurnGrader, items: Sequence[TurnItem], dimensions: Sequence[str] | None = None
) -> Iterator[LabelPrediction]:
    """``grader``'s prediction for every item on every dimension it grades (or those asked)."""
    by_id = {item.item_id: item for item in items}
    trained_on = None
    if isinstance(grader, LearnedGrader):
        trained_on = grader.manifest.training_sha256
    for dimension in grader.dimensions:
        if dimensions and dimension not in dimensions:
            continue
        for verdict in grader.predict(items, dimension):
            item = by_id[verdict.item_id]
            yield LabelPrediction(
                conversation_id=item.conversation_id,
                tutor=item.tutor,
                dimension=dimension,
                label=verdict.label,
                probability=round(min(max(verdict.probability, 0.0), 1.0), 4),
                item_id=item.item_id,
                grader=grader.name,
                grader_version=grader.version,
                scores=verdict.scores or {},
                trained_on=trained_on,
            )


def turn_items(labelset: LabelSet) -> list[TurnItem]:
    """The turn items of a label file that carry a response."""
    return [i for i in labelset.items.values() if i.kind == "turn" and i.response]


def run_source(source: str, store_path: Path | None) -> list[Prediction]:
    """The predictions of a stored run id, or of a predictions JSONL file.

    Raises:
        InputProblems: the file has bad lines.
        StoreError: neither a file nor a stored run.
    """
    if Path(source).is_file():
        return list(predictions_from_records(read_predictions(source)))
    with Store.open(store_path) as store:
        store.get_run(source)  # a clear error for an unknown run
        return list(predictions_from_results(store.iter_results(source), source))


def collect_votes(
    runs: Iterable[str],
    graders: Iterable[str],
    items: Sequence[TurnItem],
    store_path: Path | None,
    dimensions: Sequence[str] | None = None,
) -> list[Vote]:
    """Votes of every run source and every turn grader (on ``items``, ``dimensions``)."""
    votes: list[Vote] = []
    for source in runs:
        name = Path(source).name if Path(source).is_file() else source
        votes.extend(Vote(name, p) for p in run_source(source, store_path))
    for spec in graders:
        grader = turn_grader(spec)
        records = label_predictions(grader, items, dimensions)
        votes.extend(Vote(spec, p) for p in predictions_from_records(records))
    return votes
