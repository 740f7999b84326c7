"""Learned graders read only what a turn has when it is graded: no training-only field leaks."""

import json

import numpy as np
import pytest

from tutorloop.bundled import bundled_mrbench
from tutorloop.grade import TrainConfig, load_learned, save_learned, train_learned, training_data
from tutorloop.grade.learned.ensemble import Ensemble, tune_weights
from tutorloop.grade.learned.pipeline import rows_of
from tutorloop.grade.turn import dialogue_signals, prediction_input, turn_signals
from tutorloop.load import read_labels
from tutorloop.records import TurnItem

PREDICTION_FIELDS = {"item_id", "history", "response"}
"""What a tutor turn has when it is graded in production (``item_id`` is only its name)."""


class Tracked(TurnItem):
    """A turn item that records every field read from it."""

    def __getattribute__(self, name: str):
        if name in TurnItem.model_fields:
            reads = object.__getattribute__(self, "__pydantic_private__") or {}
            reads.setdefault("read", set()).add(name)
            object.__setattr__(self, "__pydantic_private__", reads)
        return super().__getattribute__(name)


@pytest.fixture(scope="module")
def mrbench_items():
    labels = read_labels(bundled_mrbench())
    data = training_data(labels, "Actionability")
    with_truth = [i for i in data.items if i.ground_truth]
    assert with_truth, "MRBench V2 has reference solutions for most dialogues"
    return with_truth[:300]


def test_features_of_the_full_record_equal_those_of_the_prediction_input(mrbench_items):
    stripped = [
        TurnItem(item_id=i.item_id, history=i.history, response=i.response) for i in mrbench_items
    ]
    assert rows_of(mrbench_items, 400) == rows_of(stripped, 400)


def test_no_feature_reads_a_training_only_field(mrbench_items):
    tracked = [Tracked.model_validate(i.model_dump()) for i in mrbench_items[:50]]
    rows_of(tracked, 400)
    read: set[str] = set()
    for item in tracked:
        read |= (item.__pydantic_private__ or {}).get("read", set())
    assert read and read <= PREDICTION_FIELDS, f"features read {sorted(read - PREDICTION_FIELDS)}"


def test_answer_revealing_is_detected_from_the_dialogue():
    history = "Tutor: What is 3 x 4?\nStudent: I think it is 7 because 3 + 4 = 7."
    said = dialogue_signals(history, "The answer is 12.")
    assert said["states_new_result"] == 1.0 and "reveals_final_answer" not in said
    assert dialogue_signals(history, "You said 7; is that 3 + 4?")["states_new_number"] == 0.0
    item = TurnItem(item_id="t", history=history, response="It is 12.", ground_truth="12")
    assert prediction_input(item).ground_truth is None
    assert turn_signals(item)["reveals_final_answer"] == 1.0  # the rules may read a reference


def test_predictions_do_not_change_when_training_only_fields_are_removed(tmp_path):
    data = json.loads(bundled_mrbench().read_text(encoding="utf-8"))[:40]
    path = tmp_path / "mrbench_small.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    labels = read_labels(path)
    train = training_data(labels, "Mistake_Location")
    grader, _ = train_learned(train, TrainConfig(folds=3, inner_folds=2), cv=False)
    assert isinstance(grader.pipeline, Ensemble) and len(grader.pipeline.members) == 3
    assert set(grader.manifest.config["decision_weights"]) == set(grader.manifest.labels)
    loaded = load_learned(save_learned(grader, tmp_path / "model"))
    full = loaded.predict(train.items, "Mistake_Location")
    bare = loaded.predict([prediction_input(i) for i in train.items], "Mistake_Location")
    assert [(v.label, v.scores) for v in full] == [(v.label, v.scores) for v in bare]


def test_a_single_model_folder_of_the_first_implementation_still_loads(tmp_path):
    data = json.loads(bundled_mrbench().read_text(encoding="utf-8"))[:30]
    path = tmp_path / "small.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    train = training_data(read_labels(path), "Actionability")
    grader, _ = train_learned(train, TrainConfig(ensemble=False), cv=False)
    folder = save_learned(grader, tmp_path / "old")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    manifest["version"] = manifest["version"].replace("learned/2+", "learned/1+")
    for key in ("ensemble", "inner_folds"):  # the first implementation's config had neither
        manifest["config"].pop(key)
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    loaded = load_learned(folder)
    verdicts = loaded.predict(train.items[:3], "Actionability")
    assert len(verdicts) == 3 and all(v.probability == max(v.scores.values()) for v in verdicts)


def test_decision_weights_raise_macro_f1_on_what_they_are_tuned_on():
    classes = np.array(["No", "To some extent", "Yes"])
    probabilities = np.array([[0.2, 0.35, 0.45]] * 4 + [[0.1, 0.2, 0.7]] * 6)
    y = np.array(["To some extent"] * 4 + ["Yes"] * 6)
    weights = tune_weights(probabilities, y, classes)
    assert (classes[(probabilities * weights).argmax(axis=1)] == y).all()
