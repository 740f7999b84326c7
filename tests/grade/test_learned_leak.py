"""Learned graders read only what a turn has when it is graded: no training-only field leaks."""

import json

import numpy as np
import pytest

from tutorloop.bundled import bundled_mrbench
from tutorloop.grade import TrainConfig, load_learned, save_learned, train_learned, training_data
from tutorloop.grade.learned.ensemble import (
    Ensemble,
    macro_f1_codes,
    select_members,
    tune_weights,
)
from tutorloop.grade.learned.pipeline import MEMBERS, POOL, rows_of
from tutorloop.grade.turn import (
    dialogue_signals,
    prediction_input,
    response_features,
    student_turns,
    turn_signals,
)
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
    config = TrainConfig(folds=3, inner_folds=2, select_members=True)
    grader, _ = train_learned(train, config, cv=False)
    ensemble = grader.pipeline
    assert isinstance(ensemble, Ensemble) and len(ensemble.members) == len(ensemble.names)
    assert set(ensemble.names) <= set(POOL) and 1 <= sum(ensemble.counts) <= 5
    assert grader.manifest.config["members"] == dict(
        zip(ensemble.names, ensemble.counts, strict=True)
    )
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
    manifest["version"] = manifest["version"].replace("learned/3+", "learned/1+")
    first_config = ("ensemble", "inner_folds", "select_members", "max_members")
    for key in first_config:  # the first implementation's config had none of these
        manifest["config"].pop(key)
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    loaded = load_learned(folder)
    verdicts = loaded.predict(train.items[:3], "Actionability")
    assert len(verdicts) == 3 and all(v.probability == max(v.scores.values()) for v in verdicts)


def test_an_ensemble_folder_of_the_second_implementation_still_loads(tmp_path):
    data = json.loads(bundled_mrbench().read_text(encoding="utf-8"))[:30]
    path = tmp_path / "small.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    train = training_data(read_labels(path), "Actionability")
    config = TrainConfig(select_members=False, inner_folds=2)
    grader, _ = train_learned(train, config, cv=False)
    assert grader.pipeline.names == list(MEMBERS) and grader.pipeline.counts == [1, 1, 1]
    expected = grader.predict(train.items[:5], "Actionability")
    del grader.pipeline.counts, grader.pipeline.names  # the second implementation had neither
    folder = save_learned(grader, tmp_path / "second")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    manifest["version"] = manifest["version"].replace("learned/3+", "learned/2+")
    for key in ("select_members", "max_members", "members"):
        manifest["config"].pop(key)
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    loaded = load_learned(folder)
    assert not hasattr(loaded.pipeline, "counts")
    verdicts = loaded.predict(train.items[:5], "Actionability")
    assert [(v.label, v.scores) for v in verdicts] == [(v.label, v.scores) for v in expected]


def test_decision_weights_raise_macro_f1_on_what_they_are_tuned_on():
    classes = np.array(["No", "To some extent", "Yes"])
    probabilities = np.array([[0.2, 0.35, 0.45]] * 4 + [[0.1, 0.2, 0.7]] * 6)
    y = np.array(["To some extent"] * 4 + ["Yes"] * 6)
    weights = tune_weights(probabilities, y, classes)
    assert (classes[(probabilities * weights).argmax(axis=1)] == y).all()


def test_response_features_read_the_learners_work_from_the_dialogue():
    history = (
        "Tutor: What is 3 x 4?\nStudent: I added them: 3 + 4 = 7.\n"
        "Tutor: Why did you add?\nStudent: Because x means plus."
    )
    assert student_turns(history) == "I added them: 3 + 4 = 7.\nBecause x means plus."
    pointed = response_features(history, "Try again: you added 3 + 4 = 7, but what is 3 x 4?")
    assert pointed["refers_to_work"] == pointed["opens_imperative"] == 1.0
    assert pointed["quotes_work"] > 0 and pointed["work_numbers"] == 1.0
    assert pointed["new_numbers"] == 0.0 and pointed["equation"] == 1.0
    praise = response_features(history, "Great job! The answer is 12.")
    assert praise["opens_praise"] == 1.0 and praise["new_numbers"] > 0
    assert praise["refers_to_work"] == praise["quotes_work"] == 0.0
    assert all(0.0 <= v <= 1.0 for v in [*pointed.values(), *praise.values()])


def test_fast_macro_f1_equals_scikit_learns():
    from sklearn.metrics import f1_score

    rng = np.random.default_rng(3)
    for _ in range(20):
        truth = rng.integers(0, 3, size=40)
        predicted = rng.integers(0, 2, size=40)  # one class never predicted
        expected = f1_score(truth, predicted, average="macro", zero_division=0)
        assert macro_f1_codes(truth, predicted, 3) == pytest.approx(expected)
    assert macro_f1_codes(np.array([1, 1]), np.array([1, 1]), 3) == 1.0  # absent classes skipped


def test_member_selection_adds_a_member_only_while_it_helps():
    codes = np.array([0] * 5 + [1] * 5)
    good = np.array([[0.9, 0.1]] * 5 + [[0.2, 0.8]] * 5)
    noise = np.array([[0.5, 0.5]] * 10)
    picks = select_members({"noise": noise, "good": good}, codes, 2, max_members=5)
    assert picks == ["good"]
