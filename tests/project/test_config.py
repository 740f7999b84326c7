"""tutorloop.yaml: the README's example is valid by the JSON Schema and loads; env and flags
override the file; every problem is reported at once with its line; metric typos fail at load."""

import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

from tutorloop.cli.app import app
from tutorloop.errors import ConfigError, InputProblems
from tutorloop.project import ProjectConfig, config_schema, find_config, load_project

README = Path(__file__).parents[2] / "README.md"


def readme_config() -> str:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## One config file: `tutorloop.yaml`") :]
    found = re.search(r"```yaml\n(.*?)```", section, re.DOTALL)
    assert found is not None
    return found.group(1)


@pytest.fixture(autouse=True)
def no_project_env(monkeypatch):
    import os

    for name in list(os.environ):
        if name.startswith("TUTORLOOP_") and name != "TUTORLOOP_HOME":
            monkeypatch.delenv(name)


def test_the_schema_validates_the_readme_example_and_it_loads(tmp_path):
    text = readme_config()
    assert text.startswith("# yaml-language-server: $schema=")
    data = yaml.safe_load(text)
    jsonschema.Draft202012Validator.check_schema(config_schema())
    jsonschema.validate(data, config_schema(), cls=jsonschema.Draft202012Validator)
    (tmp_path / "tutorloop.yaml").write_text(text, encoding="utf-8")
    config = load_project(tmp_path / "tutorloop.yaml")
    assert config.endpoints["tutor"].key_env == "VLLM_API_KEY"
    assert config.endpoints["tutor"].routes and not config.endpoints["learner"].routes
    assert config.policy is not None and "overlay_fidelity_ok" in config.policy.required
    assert config.replay.overlay == tmp_path / "prompts/study_mode.txt"  # from the file's folder
    assert config.paths.sessions == [tmp_path / "logs"]


def test_the_schema_rejects_what_loading_rejects():
    schema = config_schema()
    for bad in (
        {"calls": {"concurrency": 0}},
        {"endpoints": {"judge": {"model": "openai/x", "key": "sk-no"}}},
        {"policy": {"required": {"g": "fidelity_mean about 0.8"}}},
        {"colls": {}},
    ):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, schema, cls=jsonschema.Draft202012Validator)


def test_a_policy_metric_typo_fails_at_load_with_the_suggestion_and_line(tmp_path):
    path = tmp_path / "tutorloop.yaml"
    path.write_text(
        "policy:\n"
        "  required:\n"
        '    ok: "fidelity_mean >= 0.5"\n'
        '    overlay_ok: "condition.overlay.fidelty_mean >= 0.8"\n',
        encoding="utf-8",
    )
    with pytest.raises(InputProblems) as caught:
        load_project(path)
    [problem] = caught.value.problems
    assert problem.line == 4 and problem.field == "policy.required.overlay_ok"
    assert "did you mean 'condition.overlay.fidelity_mean'" in problem.message


def test_every_problem_of_the_file_is_reported_at_once_with_its_line(tmp_path):
    path = tmp_path / "tutorloop.yaml"
    path.write_text(
        "schema_version: 1\n"
        "endpoints:\n"
        "  judge: {model: openai/gpt-4.1, key_envv: JUDGE_KEY}\n"
        "calls:\n"
        "  concurrency: 0\n"
        "replay: {conditions: [base, overlay, bogus]}\n"
        "thresholds: {fidelity: 2}\n"
        "policy:\n"
        "  advisory:\n"
        '    j: "judge_eror_rate <= 0.1"\n'
        "colls: {}\n",
        encoding="utf-8",
    )
    with pytest.raises(InputProblems) as caught:
        load_project(path)
    found = {(p.line, p.field) for p in caught.value.problems}
    assert found == {
        (3, "endpoints.judge.key_envv"),
        (5, "calls.concurrency"),
        (6, "replay.conditions.2"),
        (7, "thresholds.fidelity"),
        (10, "policy.advisory.j"),
        (11, "colls"),
    }
    by_field = {p.field: p for p in caught.value.problems}
    assert "did you mean 'key_env'" in (by_field["endpoints.judge.key_envv"].hint or "")
    assert "did you mean 'calls'" in (by_field["colls"].hint or "")
    assert all(p.path == str(path) for p in caught.value.problems)
    assert "judge_error_rate" in by_field["policy.advisory.j"].message


def test_environment_overrides_the_file_and_flags_override_both(tmp_path, monkeypatch):
    path = tmp_path / "tutorloop.yaml"
    path.write_text(
        "endpoints: {judge: {model: openai/a, key_env: A_KEY}}\ncalls: {concurrency: 3, rps: 1}\n"
    )
    monkeypatch.setenv("TUTORLOOP_CALLS__CONCURRENCY", "5")
    monkeypatch.setenv("TUTORLOOP_ENDPOINTS__JUDGE__BASE_URL", "http://127.0.0.1:9/v1")
    config = load_project(path, {"calls": {"rps": 2.5}})
    assert (config.calls.concurrency, config.calls.rps) == (5, 2.5)
    judge = config.endpoints["judge"]
    assert (judge.model, judge.key_env, judge.base_url) == (
        "openai/a",
        "A_KEY",
        "http://127.0.0.1:9/v1",
    )
    config = load_project(path, {"calls": {"concurrency": 7}})
    assert config.calls.concurrency == 7


def test_a_bad_environment_value_names_the_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("TUTORLOOP_CALLS__CONCURRENCY", "many")
    with pytest.raises(InputProblems) as caught:
        load_project(None, find=False)
    [problem] = caught.value.problems
    assert problem.path == "environment TUTORLOOP_CALLS__CONCURRENCY"


def test_the_file_is_found_in_the_folder_or_named(tmp_path, monkeypatch):
    assert find_config(cwd=tmp_path) is None
    (tmp_path / "tutorloop.yaml").write_text("schema_version: 1\n")
    assert find_config(cwd=tmp_path) == tmp_path / "tutorloop.yaml"
    other = tmp_path / "ci.yaml"
    other.write_text("calls: {concurrency: 2}\n")
    monkeypatch.setenv("TUTORLOOP_CONFIG", str(other))
    assert find_config(cwd=tmp_path) == other
    monkeypatch.setenv("TUTORLOOP_CONFIG", str(tmp_path / "missing.yaml"))
    with pytest.raises(ConfigError, match="TUTORLOOP_CONFIG"):
        find_config(cwd=tmp_path)


def test_a_newer_config_is_refused_and_invalid_yaml_names_its_line(tmp_path):
    path = tmp_path / "tutorloop.yaml"
    path.write_text("schema_version: 2\n")
    with pytest.raises(InputProblems, match="newer than this tutorloop"):
        load_project(path)
    path.write_text("calls:\n  concurrency: [1\n")
    with pytest.raises(ConfigError, match=r"tutorloop.yaml:3"):
        load_project(path)


def test_schema_config_prints_the_schema_and_root_config_is_read(tmp_path, monkeypatch):
    runner = CliRunner()
    printed = runner.invoke(app, ["schema", "config"])
    assert printed.exit_code == 0
    assert json.loads(printed.stdout) == config_schema()
    bad = tmp_path / "bad.yaml"
    bad.write_text('policy: {required: {g: "fidelity_meen >= 0.5"}}\n')
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["--config", str(bad), "gate", "nope"])
    assert result.exit_code != 0
    assert isinstance(result.exception, InputProblems)
    assert "did you mean 'fidelity_mean'" in str(result.exception)


def test_config_is_a_pydantic_settings_model():
    assert ProjectConfig.model_config["env_prefix"] == "TUTORLOOP_"
    assert ProjectConfig.model_config["env_nested_delimiter"] == "__"
