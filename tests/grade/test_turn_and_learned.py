"""Turn heuristics and learned graders: what they answer, and that a model folder round-trips."""

import json

import pytest

from tutorloop.bundled import bundled_mrbench
from tutorloop.errors import ConfigError, UserError
from tutorloop.grade import (
    TrainConfig,
    TurnHeuristics,
    grouped_cv,
    load_learned,
    save_learned,
    train_learned,
    training_data,
)
from tutorloop.load import read_labels
from tutorloop.records import MRBENCH_DIMENSIONS, TurnItem

HISTORY = "Tutor: What is 3 x 4?\nStudent: I think it is 7 because 3 + 4 = 7."


def turn(response: str, truth: str | None = "3 x 4 = 12\n 12") -> TurnItem:
    return TurnItem(item_id="t", history=HISTORY, response=response, ground_truth=truth)


def label(dimension: str, response: str, truth: str | None = "3 x 4 = 12\n 12") -> str:
    (verdict,) = TurnHeuristics().predict([turn(response, truth)], dimension)
    assert verdict.label in MRBENCH_DIMENSIONS[dimension]
    return verdict.label


def test_revealing_the_answer_reads_the_reference_final_number():
    assert label("Revealing_of_the_Answer", "It's 12, since 3 x 4 = 12.").startswith("Yes (and")
    assert label("Revealing_of_the_Answer", "The answer is 13.").startswith("Yes (but")
    assert label("Revealing_of_the_Answer", "What does x mean here?") == "No"


def test_mistakes_guidance_and_tone():
    hint = "Not quite: you added 3 and 4. What does 'x' ask you to do?"
    assert label("Mistake_Identification", hint) == "Yes"
    assert label("Mistake_Location", hint) == "Yes"
    assert label("Mistake_Identification", "Great job, that's right!") == "No"
    assert label("Providing_Guidance", hint) == "Yes"
    assert label("Actionability", hint) == "Yes"
    assert label("Actionability", "Multiplication is repeated addition.") == "No"
    assert label("Tutor_Tone", "Great effort! Let's look again.") == "Encouraging"
    assert label("Tutor_Tone", "Multiply the numbers.") == "Neutral"


def test_rules_leave_judgement_dimensions_alone():
    assert "Coherence" not in TurnHeuristics().dimensions
    assert TurnHeuristics().predict([turn("hi")], "Coherence") == []


@pytest.fixture(scope="module")
def small_mrbench(tmp_path_factory):
    data = json.loads(bundled_mrbench().read_text(encoding="utf-8"))[:60]
    path = tmp_path_factory.mktemp("labels") / "mrbench_small.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return read_labels(path)


def test_learned_grader_trains_with_grouped_cv_saves_and_predicts(small_mrbench, tmp_path):
    data = training_data(small_mrbench, "Actionability")
    grader, report = train_learned(data, TrainConfig(folds=3))
    assert report is not None and len(report.folds) == 3
    assert 0.0 <= report.mean("learned", "macro_f1") <= 1.0
    assert "heuristic.macro_f1" in grader.manifest.cv
    folder = save_learned(grader, tmp_path / "model")
    loaded = load_learned(folder)
    manifest = loaded.manifest
    assert manifest.training_sha256 == small_mrbench.sha256
    assert manifest.dimension == "Actionability" and manifest.items == len(data.items)
    assert loaded.version == grader.version and loaded.version.startswith("learned/3+")
    verdicts = loaded.predict(data.items[:5], "Actionability")
    assert [v.item_id for v in verdicts] == [i.item_id for i in data.items[:5]]
    for v in verdicts:
        assert v.label in manifest.labels
        assert v.scores is not None and v.probability == v.scores[v.label]
    assert loaded.predict(data.items[:5], "Coherence") == []


def test_version_changes_with_the_training_data(small_mrbench):
    data = training_data(small_mrbench, "Actionability")
    first, _ = train_learned(data, TrainConfig(), cv=False)
    changed = data.__class__(**{**data.__dict__, "sha256": "0" * 64})
    second, _ = train_learned(changed, TrainConfig(), cv=False)
    assert first.version != second.version


def test_folds_never_split_a_dialogue(small_mrbench):
    data = training_data(small_mrbench, "Mistake_Location")
    report = grouped_cv(data.items, data.labels, data.groups, "Mistake_Location", TrainConfig())
    assert report.groups == len(set(data.groups)) < report.items
    assert len(report.folds) == 5


def test_learning_curve_uses_growing_label_counts(small_mrbench):
    data = training_data(small_mrbench, "Providing_Guidance")
    report = grouped_cv(
        data.items, data.labels, data.groups, "Providing_Guidance", TrainConfig(folds=3), curve=True
    )
    sizes = [report.curve[f]["items"] for f in sorted(report.curve)]
    assert sizes == sorted(sizes) and sizes[0] < sizes[-1]


def test_unknown_dimension_and_single_label_are_user_errors(small_mrbench):
    with pytest.raises(UserError, match="no labels for dimension 'Nope'"):
        training_data(small_mrbench, "Nope")
    data = training_data(small_mrbench, "Actionability")
    one = data.__class__(**{**data.__dict__, "labels": ["Yes"] * len(data.labels)})
    with pytest.raises(UserError, match="at least two label values"):
        train_learned(one, TrainConfig())


def test_loading_a_folder_that_is_not_a_model_says_how_to_make_one(tmp_path):
    with pytest.raises(ConfigError, match="tutorloop learn train"):
        load_learned(tmp_path)


def test_judge_grades_any_dimension_with_a_rubric_offline():
    from tutorloop.grade import TurnJudge

    judge = TurnJudge("sim/study")
    assert set(judge.dimensions) == set(MRBENCH_DIMENSIONS)
    items = [turn("Not quite. What is 3 x 4?"), turn("It is 12.")]
    verdicts = judge.predict(items, "Coherence")
    assert len(verdicts) == 2
    assert {v.label for v in verdicts} <= set(MRBENCH_DIMENSIONS["Coherence"])
    assert judge.version.startswith("turn-judge/1+")
    assert judge.predict(items, "Unknown") == []


def test_a_malformed_rubric_names_the_dimension_and_field(tmp_path):
    from tutorloop.grade import load_rubrics

    path = tmp_path / "rubric.yaml"
    path.write_text('Coherence:\n  question: Does it follow?\n  labels: {"Fits": fits}\n')
    with pytest.raises(ConfigError, match=r"field 'Coherence.labels'"):
        load_rubrics(path)
