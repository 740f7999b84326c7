"""A learned grader as a grader of a run: stored grades, summary, agreement, resume."""

import json
from pathlib import Path

import pytest

from tutorloop.analyse import run_source, summarize
from tutorloop.bundled import bundled_mrbench, bundled_sessions
from tutorloop.errors import ConfigError
from tutorloop.grade import TrainConfig, save_learned, train_learned, training_data
from tutorloop.load import read_labels
from tutorloop.run import GradeConfig, RunConfig, grade_paths
from tutorloop.store import Store


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A learned Actionability grader trained (no CV) on 30 MRBench dialogues."""
    folder = tmp_path_factory.mktemp("learned")
    data = json.loads(bundled_mrbench().read_text(encoding="utf-8"))[:30]
    (folder / "mrbench.json").write_text(json.dumps(data), encoding="utf-8")
    labels = read_labels(folder / "mrbench.json", "mrbench")
    grader, _ = train_learned(training_data(labels, "Actionability"), TrainConfig(), cv=False)
    return save_learned(grader, folder / "model")


def sessions() -> list[Path]:
    return sorted(bundled_sessions().glob("*.json"))


def test_a_run_with_a_learned_grader_stores_one_learned_grade_per_session(
    model: Path, tmp_path: Path
) -> None:
    options = RunConfig(run_id="r", store_path=tmp_path / "db.sqlite")
    grade_paths([bundled_sessions()], GradeConfig(learned=[model]), options)
    manifest = json.loads((model / "manifest.json").read_text(encoding="utf-8"))
    with Store.open(options.store_path) as store:
        grades = [g for g in store.iter_grades("r") if g.source == "learned"]
        results = list(store.iter_results("r"))
        run = store.get_run("r")
    assert len(grades) == len(sessions()) == 25
    first = grades[0]
    assert first.grader == "learned.Actionability"
    assert first.grader_version == f"{manifest['version']}+{manifest['training_sha256'][:8]}"
    assert first.label in {"Yes", "To some extent", "No"}
    assert first.score is not None and 0.0 <= first.score <= 1.0
    assert first.reason and "turn" in first.reason and first.evidence
    assert run.config["learned"] == {"learned:Actionability": first.grader_version}
    summary = summarize("r", results)
    rate = summary.graders["learned:Actionability"]
    assert rate.passed + rate.failed == 25 and rate.errored == 0


def test_agreement_reads_the_learned_grades_back_as_a_grader_of_the_run(
    model: Path, tmp_path: Path
) -> None:
    options = RunConfig(run_id="r", store_path=tmp_path / "db.sqlite")
    grade_paths([bundled_sessions()], GradeConfig(learned=[model]), options)
    learned = [p for p in run_source("r", options.store_path) if p.grader.startswith("learned:")]
    assert len(learned) == 25
    assert {p.dimension for p in learned} == {"Actionability"}
    assert all(p.scores and abs(sum(p.scores.values()) - 1.0) < 0.01 for p in learned)


def test_a_resumed_run_does_not_grade_a_session_twice(model: Path, tmp_path: Path) -> None:
    options = RunConfig(run_id="r", store_path=tmp_path / "db.sqlite", batch_size=1)
    config = GradeConfig(learned=[model])
    grade_paths(sessions()[:7], config, options)  # the run stopped after 7 sessions
    report = grade_paths(sessions(), config, options)
    assert report.resumed_items == 7 and report.new_items == 18
    with Store.open(options.store_path) as store:
        keys = [g.item_key for g in store.iter_grades("r") if g.source == "learned"]
    assert len(keys) == len(set(keys)) == 25


def test_two_models_of_one_dimension_are_refused(model: Path, tmp_path: Path) -> None:
    options = RunConfig(store_path=tmp_path / "db.sqlite")
    with pytest.raises(ConfigError, match="one learned model per dimension"):
        grade_paths([bundled_sessions()], GradeConfig(learned=[model, model]), options)


def test_a_folder_that_is_not_a_model_is_a_config_error(tmp_path: Path) -> None:
    options = RunConfig(store_path=tmp_path / "db.sqlite")
    with pytest.raises(ConfigError, match="not a learned grader folder"):
        grade_paths([bundled_sessions()], GradeConfig(learned=[tmp_path]), options)
