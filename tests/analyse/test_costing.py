"""Calibrate, cost and next as functions: graders' predictions files against a label file."""

from pathlib import Path

import pytest

from tutorloop.analyse import (
    CostModel,
    GraderQuery,
    Prediction,
    attention_probability,
    calibrate_graders,
    graded_pairs,
    policy_costs,
    rank_next,
    write_next_file,
)
from tutorloop.errors import UserError
from tutorloop.load import read_labels
from tutorloop.records import LabelPrediction

TRUTH = {"a": "No", "b": "No", "c": "Yes", "d": "Yes", "e": "Yes"}
RISK = {"a": 0.9, "b": 0.6, "c": 0.3, "d": 0.2, "e": 0.1}


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    labels = tmp_path / "labels.csv"
    rows = "".join(f"{i},Actionability,{v},ana\n" for i, v in TRUTH.items())
    labels.write_text("item_id,dimension,value,rater\n" + rows, encoding="utf-8")
    preds = tmp_path / "preds.jsonl"
    lines = [
        LabelPrediction(
            conversation_id=i, tutor="t", dimension="Actionability",
            label="No" if r > 0.5 else "Yes", probability=max(r, 1 - r), item_id=i,
            grader="learned:Actionability", grader_version="v1", scores={"No": r, "Yes": 1 - r},
        ).model_dump_json()
        for i, r in RISK.items()
    ]  # fmt: skip
    preds.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return labels, preds


def test_attention_probability_reads_scores_or_the_one_label() -> None:
    both = Prediction("a", "d", "No", "g", "v", {"No": 0.7, "Yes": 0.3})
    one = Prediction("a", "d", "Yes", "g", "v", {"Yes": 0.8})
    assert attention_probability(both, {"No"}) == 0.7
    assert attention_probability(one, {"No"}) == pytest.approx(0.2)
    assert attention_probability(Prediction("a", "d", "No", "g", "v"), {"No"}) is None


def test_graded_pairs_calibration_and_costs_from_a_predictions_file(
    files: tuple[Path, Path],
) -> None:
    labels, preds = files
    labelset = read_labels(labels)
    query = GraderQuery(dimension="Actionability", runs=[str(preds)])
    pairs = graded_pairs(labelset, query)
    assert pairs.positive == {"No"}
    (rows,) = pairs.by_grader.values()
    assert sorted(t for t, _ in rows) == [False, False, False, True, True]
    (calibration,) = calibrate_graders(labelset, query, "kappa", CostModel()).values()
    assert calibration.best.kappa == 1.0 and 0.3 < calibration.best.threshold <= 0.6
    costs = policy_costs(labelset, query, CostModel())
    assert costs[0].total == 0.0 and costs == sorted(costs, key=lambda c: c.total)
    with pytest.raises(UserError, match="no labels for 'Tutor_Tone'"):
        graded_pairs(labelset, query.model_copy(update={"dimension": "Tutor_Tone"}))


def test_rank_next_skips_labelled_items_and_the_file_reads_back(
    files: tuple[Path, Path], tmp_path: Path
) -> None:
    _, preds = files
    query = GraderQuery(runs=[str(preds)])
    ranked = rank_next(query, {}, {("a", "Actionability")}, n=3)
    assert len(ranked) == 3 and "a" not in {c.item_id for c in ranked}
    path, count = write_next_file(ranked, {}, tmp_path / "next.jsonl")
    assert count == 3 and len(read_labels(path).items) == 3
