"""Registry folders in the openai/evals layout: names, alias resolution, samples, and errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tutorloop.bundled import bundled_registry
from tutorloop.errors import ConfigError, InputProblems, Problem
from tutorloop.load import EvalRegistry, RegistrySample

FIXTURE = Path(__file__).parents[1] / "fixtures" / "registry"


def copy_registry(tmp_path: Path) -> Path:
    target = tmp_path / "registry"
    shutil.copytree(FIXTURE, target)
    return target


def test_aliases_resolve_to_the_entry_that_names_the_class():
    registry = EvalRegistry.open(FIXTURE)
    assert registry.names() == [
        "explain-check", "test-fuzzy-match", "test-includes", "test-json-match", "test-match",
    ]  # fmt: skip
    spec = registry.resolve("test-match")
    assert spec.eval_id == "test-match.s1.simple-v0"
    assert (spec.base_eval, spec.split) == ("test-match", "s1")
    assert spec.class_path == "evals.elsuite.basic.match:Match" and spec.class_name == "Match"
    assert spec.metrics == ["accuracy"] and spec.description == "Capitals, answered first thing."
    assert spec.path.endswith("basic.yaml") and spec.line == 5
    assert registry.resolve("test-match.s1.simple-v0").eval_id == "test-match.s1.simple-v0"


def test_samples_are_keyed_as_oaieval_keys_them_and_blank_lines_skipped():
    registry = EvalRegistry.open(FIXTURE)
    samples = list(registry.iter_samples(registry.resolve("test-match")))
    assert all(isinstance(s, RegistrySample) for s in samples)
    keys = [s.key for s in samples if isinstance(s, RegistrySample)]
    assert keys == [f"test-match.s1.{i}" for i in range(4)]
    last = samples[-1]
    assert isinstance(last, RegistrySample) and last.origin.endswith("samples.jsonl:5")
    assert last.data["ideal"] == "Oslo"


def test_the_bundled_registry_has_test_match():
    registry = EvalRegistry.open(bundled_registry())
    assert "test-match" in registry.names()
    assert registry.resolve("test-match").class_name == "Match"
    spec = registry.modelgraded_spec("guides-not-tells")
    assert spec.choice_strings == "YN" and spec.input_outputs == {"input": "completion"}


def test_an_unknown_eval_names_the_nearest(tmp_path):
    registry = EvalRegistry.open(FIXTURE)
    with pytest.raises(ConfigError) as caught:
        registry.resolve("test-mach")
    assert "no eval 'test-mach'" in caught.value.message
    assert "did you mean test-match" in caught.value.message


def test_bad_yaml_names_file_and_line(tmp_path):
    root = copy_registry(tmp_path)
    (root / "evals" / "broken.yaml").write_text("fine:\n  id: x.y.z\nbad: [unclosed\n")
    with pytest.raises(InputProblems) as caught:
        EvalRegistry.open(root)
    (problem,) = caught.value.problems
    assert problem.path.endswith("broken.yaml") and problem.line is not None
    assert "invalid YAML" in problem.message


def test_every_entry_problem_is_gathered_with_its_line(tmp_path):
    root = copy_registry(tmp_path)
    (root / "evals" / "more.yaml").write_text(
        "lonely:\n  description: neither id nor class\n"
        "test-match:\n  id: test-match.s1.simple-v0\n"
        "scalar: 3\n"
    )
    with pytest.raises(InputProblems) as caught:
        EvalRegistry.open(root)
    found = {(p.line, p.field) for p in caught.value.problems}
    assert found == {(1, "lonely.class"), (3, "test-match"), (5, "scalar")}
    twice = next(p for p in caught.value.problems if p.field == "test-match")
    assert "defined twice" in twice.message and "basic.yaml:1" in twice.message


def test_missing_samples_file_names_the_entry_and_field(tmp_path):
    root = copy_registry(tmp_path)
    (root / "data" / "capitals" / "samples.jsonl").unlink()
    registry = EvalRegistry.open(root)
    with pytest.raises(ConfigError) as caught:
        registry.samples_path(registry.resolve("test-match"))
    assert caught.value.field == "args.samples_jsonl"
    assert caught.value.path is not None and caught.value.path.endswith("basic.yaml:8")
    assert "does not exist" in caught.value.message


def test_an_id_that_points_nowhere_or_in_a_circle(tmp_path):
    root = copy_registry(tmp_path)
    (root / "evals" / "loops.yaml").write_text(
        "dangling:\n  id: nowhere.s1.v0\nping:\n  id: pong\npong:\n  id: ping\n"
    )
    registry = EvalRegistry.open(root)
    with pytest.raises(ConfigError) as dangling:
        registry.resolve("dangling")
    assert dangling.value.field == "id" and "loops.yaml:2" in (dangling.value.path or "")
    with pytest.raises(ConfigError) as circle:
        registry.resolve("ping")
    assert "circle" in circle.value.message


def test_bad_sample_lines_are_problems_naming_line_and_field(tmp_path):
    root = copy_registry(tmp_path)
    (root / "data" / "capitals" / "samples.jsonl").write_text(
        '{"input": "ok", "ideal": "a"}\n'
        "not json\n"
        '{"input": 3, "ideal": "a"}\n'
        '{"input": [{"role": "user"}], "ideal": "a"}\n'
        '{"input": "ok", "ideal": [1]}\n'
    )
    registry = EvalRegistry.open(root)
    found = list(registry.iter_samples(registry.resolve("test-match")))
    problems = [p for p in found if isinstance(p, Problem)]
    assert [(p.line, p.field) for p in problems] == [
        (2, None), (3, "input"), (4, "input"), (5, "ideal"),
    ]  # fmt: skip
    assert problems[2].turn == 0


def test_a_modelgraded_spec_error_names_the_field(tmp_path):
    root = copy_registry(tmp_path)
    (root / "modelgraded" / "correct-or-not.yaml").write_text(
        "prompt: hi {completion}\nchoice_strings: [A]\ninput_outputs: {input: completion}\n"
        "choise_scores: {A: 1}\n"
    )
    registry = EvalRegistry.open(root)
    with pytest.raises(ConfigError) as caught:
        registry.modelgraded_spec("correct-or-not")
    assert caught.value.field == "choise_scores"
    assert (caught.value.path or "").endswith("correct-or-not.yaml:4")
    with pytest.raises(ConfigError) as missing:
        registry.modelgraded_spec("nope")
    assert "correct-or-not" in missing.value.message


def test_a_folder_without_evals_is_refused(tmp_path):
    with pytest.raises(ConfigError) as caught:
        EvalRegistry.open(tmp_path)
    assert caught.value.field == "--registry"
