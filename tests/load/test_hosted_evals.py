"""Hosted OpenAI Evals → tutorloop: definitions, output items, the SDK path, eval items, the CLI."""

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from openai import OpenAI
from openai.types import EvalRetrieveResponse
from openai.types.evals import RunListResponse
from openai.types.evals.runs import OutputItemListResponse
from rich.console import Console
from typer.testing import CliRunner

from tests.openai_wire.runner import LocalOpenAIServer
from tests.openai_wire.server import Fault, make_eval_run, make_output_item
from tutorloop.cli.openai_evals_cmd import register
from tutorloop.errors import ConfigError, Problem, ProviderRequestError, ProviderUnavailable
from tutorloop.grade.graders import load_graders, parse_criteria
from tutorloop.load import EvalItem, iter_eval_items, looks_like_eval_items
from tutorloop.load.hosted_evals import (
    fetch_definition,
    fetch_output_items,
    import_eval,
    read_definition,
    read_output_items,
)

EVAL_ID = "eval_68a1studymode"
RUBRICS = [  # (name, range, pass_threshold, the rubric sentence)
    ("Answer Accuracy", [0, 1], 1, "Give 1 if every fact the tutor states is correct, else 0."),
    ("Clarity of Explanation", [0, 2], 2, "Give 2 for clear steps, 1 for muddled, 0 for none."),
    ("Staying on Topic", [0, 1], 1, "Give 1 if the tutor keeps to the learner's question."),
    ("Adaptivity to Mistakes", [0, 2], 1, "Give 2 when errors are caught and re-taught kindly."),
    ("Scaffolding Support", [0, 2], 1, "Give 2 when hints come before any worked answer."),
    ("Encouragement & Motivation", [0, 2], 1, "Give 2 for specific, sincere encouragement."),
    ("Pedagogical Reasoning Quality", [0, 10], 8, "Score 0-10 how well each move serves learning."),
]
ITEM_SCHEMA = {
    "type": "object",
    "properties": {"session_id": {"type": "string"}, "regenerated_trajectory": {"type": "array"}},
    "required": ["session_id", "regenerated_trajectory"],
}
DEFINITION: dict[str, Any] = {
    "object": "eval",
    "id": EVAL_ID,
    "name": "Full-StudyMode-Tutoring-Eval",
    "created_at": 1_750_000_000,
    "metadata": {"seed": "004"},
    "data_source_config": {
        "type": "custom",
        "item_schema": ITEM_SCHEMA,
        "include_sample_schema": False,
    },
    "testing_criteria": [
        *(
            {
                "type": "score_model",
                "name": name,
                "model": "gpt-4",
                "input": [
                    {"role": "system", "content": rubric},
                    {"role": "user", "content": "{{ item.regenerated_trajectory }}"},
                ],
                "range": rng,
                "pass_threshold": threshold,
            }
            for name, rng, threshold, rubric in RUBRICS
        ),
        {
            "type": "string_check",
            "name": "Has a session id",
            "input": "{{ item.session_id }}",
            "reference": "",
            "operation": "ne",
        },
    ],
}
ITEMS = [
    {"session_id": f"s{i}", "regenerated_trajectory": [{"role": "user", "content": f"q{i}"}]}
    for i in range(3)
]


def write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def output_items(run_id: str = "run_2") -> list[dict[str, Any]]:
    return [
        make_output_item(
            EVAL_ID,
            run_id,
            i,
            item,
            output_text=None if i == 2 else f"answer {i}",
            results=[{"name": "Answer Accuracy", "score": float(i % 2), "passed": i % 2 == 1}],
        )
        for i, item in enumerate(ITEMS)
    ]


def fill(server: LocalOpenAIServer) -> None:
    server.state.evals[EVAL_ID] = DEFINITION
    old, new = make_eval_run(EVAL_ID, "run_1"), make_eval_run(EVAL_ID, "run_2")
    server.state.eval_runs[EVAL_ID] = [old, new]
    server.state.eval_output_items["run_1"] = output_items("run_1")[:1]
    server.state.eval_output_items["run_2"] = output_items("run_2")


def client_for(server: LocalOpenAIServer, key: str | None = None) -> OpenAI:
    return OpenAI(base_url=server.base_url, api_key=key or server.api_key, max_retries=0)


# --------------------------------------------------------------------------- definitions


def test_a_definition_file_imports_into_graders_dataset_and_the_eval(tmp_path):
    definition = read_definition(write_json(tmp_path / "eval.json", DEFINITION))
    report = import_eval(definition, [], tmp_path / "out")
    out = tmp_path / "out"
    assert json.loads((out / "eval.json").read_text(encoding="utf-8")) == DEFINITION
    graders_text = (out / "graders.yaml").read_text(encoding="utf-8")
    assert graders_text.startswith(f"# Imported from OpenAI Evals: eval {EVAL_ID} (")
    local = load_graders(out / "graders.yaml")
    hosted = parse_criteria(DEFINITION["testing_criteria"], "test")
    assert [g.to_spec() for g in local] == [g.to_spec() for g in hosted]
    assert yaml.safe_load(graders_text)["testing_criteria"][0]["range"] == [0.0, 1.0]
    assert (out / "dataset.jsonl").read_text(encoding="utf-8") == ""
    assert (out / "hosted_results.jsonl").read_text(encoding="utf-8") == ""
    assert report.items == 0 and len(report.graders) == 8
    assert report.model_graders == [name for name, *_ in RUBRICS]
    assert report.grader_models == ["gpt-4"]
    assert "dataset.jsonl is empty" in report.notes[0]
    assert "session_id, regenerated_trajectory" in report.notes[0]
    assert "--grader-model" in report.notes[1] and "--grader-model" in report.next_command
    assert report.next_command.startswith(f"tutorloop grade {out / 'dataset.jsonl'} --graders ")


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (
            {"type": "regex_check"},
            ["grader 7", "'Has a session id'", "regex_check", "string_check"],
        ),
        ({"operation": "glob"}, ["grader 7", "'Has a session id'", "operation"]),
        ({"colour": "red"}, ["grader 7", "colour", "valid fields"]),
    ],
)
def test_a_grader_tutorloop_cannot_run_is_a_config_error_naming_it(tmp_path, change, words):
    data = copy.deepcopy(DEFINITION)
    data["testing_criteria"][7] |= change
    with pytest.raises(ConfigError) as caught:
        import_eval(read_definition(write_json(tmp_path / "e.json", data)), [], tmp_path / "out")
    assert all(word in caught.value.message for word in words), caught.value.message
    assert EVAL_ID in caught.value.message
    assert not (tmp_path / "out").exists()


def test_read_definition_names_the_file_and_field(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        read_definition(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text('{"id": ', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad\.json: invalid JSON at line 1"):
        read_definition(tmp_path / "bad.json")
    no_criteria = {k: v for k, v in DEFINITION.items() if k != "testing_criteria"}
    with pytest.raises(ConfigError) as caught:
        read_definition(write_json(tmp_path / "e.json", no_criteria))
    assert caught.value.field == "testing_criteria" and "e.json" in caught.value.message
    listing = {"object": "list", "data": [DEFINITION]}
    with pytest.raises(ConfigError, match="a list of evals"):
        read_definition(write_json(tmp_path / "list.json", listing))


# --------------------------------------------------------------------------- the SDK path


def test_the_test_servers_objects_validate_against_the_sdk_types():
    as_served = {"type": "custom", "schema": {"properties": {"item": ITEM_SCHEMA}}}
    EvalRetrieveResponse.model_validate(DEFINITION | {"data_source_config": as_served})
    RunListResponse.model_validate(make_eval_run(EVAL_ID, "run_1"))
    for item in output_items():
        OutputItemListResponse.model_validate(item)


def test_the_sdk_path_imports_the_newest_run_across_pages(openai_wire, tmp_path):
    fill(openai_wire)
    client = client_for(openai_wire)
    definition = fetch_definition(EVAL_ID, client)
    assert definition.model_dump(mode="json", exclude_unset=True) == DEFINITION
    report = import_eval(definition, fetch_output_items(EVAL_ID, client, page_size=2), tmp_path)
    pages = openai_wire.state.by_path[f"/v1/evals/{EVAL_ID}/runs/run_2/output_items"]
    assert pages == 2 and report.run_ids == ["run_2"]
    assert report.items == 3 and report.items_with_sample == 2
    assert read_jsonl(tmp_path / "dataset.jsonl") == [
        {"item": ITEMS[0], "sample": {"output_text": "answer 0"}},
        {"item": ITEMS[1], "sample": {"output_text": "answer 1"}},
        {"item": ITEMS[2]},
    ]
    hosted = read_jsonl(tmp_path / "hosted_results.jsonl")
    assert [h["datasource_item_id"] for h in hosted] == [0, 1, 2]
    assert [h["key"] for h in hosted] == ["line-1", "line-2", "line-3"]
    assert hosted[1]["results"] == [{"name": "Answer Accuracy", "score": 1.0, "passed": True}]
    assert hosted[1]["output_item_id"] == "outitem_run_2_1" and hosted[1]["status"] == "pass"
    keys = [x.key for x in iter_eval_items(tmp_path / "dataset.jsonl")]
    assert keys == [h["key"] for h in hosted]
    older = list(fetch_output_items(EVAL_ID, client, run_id="run_1"))
    assert [o["run_id"] for o in older] == ["run_1"]


def test_sdk_errors_become_tutorloop_errors_without_the_key(openai_wire):
    openai_wire.state.required_key = "sk-right-key-0000000000"
    wrong = "sk-wrong-key-1234567890"
    with pytest.raises(ProviderRequestError) as caught:
        fetch_definition(EVAL_ID, client_for(openai_wire, wrong))
    assert caught.value.status == 401 and wrong not in str(caught.value)
    openai_wire.state.required_key = None
    with pytest.raises(ProviderRequestError, match="not found") as missing:
        fetch_definition("eval_nope", client_for(openai_wire))
    assert missing.value.status == 404
    openai_wire.state.push_faults(Fault.server_error(503))
    with pytest.raises(ProviderUnavailable) as down:
        fetch_definition(EVAL_ID, client_for(openai_wire))
    assert down.value.status == 503


# --------------------------------------------------------------------------- items files


def test_output_items_files_as_jsonl_list_or_page(tmp_path):
    items = output_items()
    (tmp_path / "a.jsonl").write_text("\n".join(map(json.dumps, items)) + "\n", "utf-8")
    write_json(tmp_path / "b.json", items)
    (tmp_path / "c.json").write_text(json.dumps({"object": "list", "data": items}, indent=2))
    for name in ("a.jsonl", "b.json", "c.json"):
        assert list(read_output_items(tmp_path / name)) == items
    (tmp_path / "bad.jsonl").write_text(json.dumps(items[0]) + "\n{oops\n", "utf-8")
    with pytest.raises(ConfigError, match=r"bad\.jsonl: invalid JSON at line 2"):
        list(read_output_items(tmp_path / "bad.jsonl"))
    (tmp_path / "no_item.jsonl").write_text(json.dumps({"id": "x"}) + "\n", "utf-8")
    with pytest.raises(ConfigError, match=r"no_item\.jsonl:1: field 'datasource_item'"):
        list(read_output_items(tmp_path / "no_item.jsonl"))
    other = [make_output_item("eval_other", "run_9", 0, ITEMS[0])]
    definition = read_definition(write_json(tmp_path / "e.json", DEFINITION))
    with pytest.raises(ConfigError, match="is from eval eval_other"):
        import_eval(definition, other, tmp_path / "out")


def test_iter_eval_items_names_every_bad_line(tmp_path):
    lines = [
        json.dumps({"item": {"id": "q1", "x": 1}, "sample": {"output_text": "A"}}),
        "",
        "{not json",
        "[1, 2]",
        json.dumps({"sample": {"output_text": "A"}}),
        json.dumps({"item": [1]}),
        json.dumps({"item": {}, "sample": "A"}),
        json.dumps({"item": {}, "sample": {"output_text": 3}}),
        json.dumps({"item": {"id": 7}, "sample": {"output_json": {"a": 1}}}),
        json.dumps({"item": {"id": True}, "sampel": {}}),
        json.dumps({"item": {"id": False}}),
    ]
    path = tmp_path / "items.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    loaded = list(iter_eval_items(path))
    problems = [(p.line, p.field) for p in loaded if isinstance(p, Problem)]
    expected = [(3, None), (4, None), (5, "item"), (6, "item"), (7, "sample")]
    assert problems == [*expected, (8, "sample.output_text"), (10, "sampel")]
    items = [x for x in loaded if isinstance(x, EvalItem)]
    assert [(x.key, x.sample_text) for x in items] == [
        ("q1", "A"),
        ("7", '{"a": 1}'),
        ("line-11", None),
    ]
    assert items[0].origin == f"{path}:1" and items[0].item == {"id": "q1", "x": 1}
    assert looks_like_eval_items(path)
    write_json(tmp_path / "session.jsonl", {"item": {}, "trajectory": []})
    assert not looks_like_eval_items(tmp_path / "session.jsonl")
    assert not looks_like_eval_items(tmp_path / "missing.jsonl")
    assert [p.message for p in iter_eval_items(tmp_path / "missing.jsonl")] == ["no such file"]


# --------------------------------------------------------------------------- the CLI


def cli() -> typer.Typer:
    app = typer.Typer()
    register(app, Console(width=300), Console(stderr=True, width=300))
    return app


def test_cli_imports_a_file_and_prints_the_next_command(tmp_path):
    source = write_json(tmp_path / "eval.json", DEFINITION)
    items = tmp_path / "items.jsonl"
    items.write_text("\n".join(map(json.dumps, output_items())), encoding="utf-8")
    out = tmp_path / "out"
    args = ["openai-evals", "import", "--file", str(source), "--items-file", str(items)]
    result = CliRunner().invoke(cli(), [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"tutorloop grade {out / 'dataset.jsonl'} --graders {out / 'graders.yaml'}" in (
        result.output
    )
    assert "3 item(s) from run run_2" in result.output
    as_json = CliRunner().invoke(cli(), [*args, "--out", str(out), "--json", "--run-id", "x"])
    assert json.loads(as_json.output)["items"] == 0
    both = CliRunner().invoke(cli(), [*args, "--eval-id", EVAL_ID, "--out", str(out)])
    assert isinstance(both.exception, ConfigError)


def test_cli_fetches_with_the_sdk(openai_wire, tmp_path, monkeypatch):
    fill(openai_wire)
    args = ["openai-evals", "import", "--eval-id", EVAL_ID, "--out", str(tmp_path), "--json"]
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    no_key = CliRunner().invoke(cli(), args)
    assert isinstance(no_key.exception, ConfigError) and "OPENAI_API_KEY" in str(no_key.exception)
    monkeypatch.setenv("OPENAI_API_KEY", openai_wire.api_key)
    result = CliRunner().invoke(cli(), [*args, "--base-url", openai_wire.base_url])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["items"] == 3 and report["run_ids"] == ["run_2"]


def test_cli_as_a_user_runs_it(tmp_path):
    from tutorloop.cli.app import COMMANDS

    if "openai-evals" not in COMMANDS:
        pytest.skip("openai-evals is not wired into tutorloop.cli.app yet")
    source = write_json(tmp_path / "eval.json", DEFINITION)
    args = ["openai-evals", "import", "--file", str(source), "--out", str(tmp_path / "out")]
    result = subprocess.run(
        [sys.executable, "-m", "tutorloop", *args], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "dataset.jsonl is empty" in result.stdout
    assert (tmp_path / "out" / "graders.yaml").exists()


def test_an_imported_eval_grades_locally_with_the_same_graders(openai_wire, tmp_path):
    """The whole path off the hosted platform: fetch, import, then grade with tutorloop."""
    fill(openai_wire)
    client = client_for(openai_wire)
    definition = fetch_definition(EVAL_ID, client)
    import_eval(definition, fetch_output_items(EVAL_ID, client), tmp_path / "imported")
    env = {**os.environ, "TUTORLOOP_HOME": str(tmp_path / "home")}
    result = subprocess.run(
        [sys.executable, "-m", "tutorloop", "grade", str(tmp_path / "imported" / "dataset.jsonl"),
         "--graders", str(tmp_path / "imported" / "graders.yaml"), "--grader-model", "sim/study",
         "--json"],
        capture_output=True, text=True, timeout=180, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)["results"]
    hosted = read_jsonl(tmp_path / "imported" / "hosted_results.jsonl")
    assert [r["item_key"] for r in rows] == [h["key"] for h in hosted]
    names = {g.name for g in parse_criteria(DEFINITION["testing_criteria"], "t")}
    for row in rows:
        assert {g["name"] for g in row["result"]["graders"]} == names
        assert all(g["error"] is None for g in row["result"]["graders"])


def test_a_definition_whose_criteria_carry_hosted_ids_imports(tmp_path):
    with_ids = {
        **DEFINITION,
        "testing_criteria": [
            {**c, "id": f"{c['name']}-3c7654c3-a890-474b-b547-4a656a741727"}
            for c in DEFINITION["testing_criteria"]
        ],
    }
    definition = read_definition(write_json(tmp_path / "eval.json", with_ids))
    report = import_eval(definition, [], tmp_path / "out")
    assert len(report.graders) == len(with_ids["testing_criteria"])
    written = yaml.safe_load((tmp_path / "out" / "graders.yaml").read_text(encoding="utf-8"))
    assert all("id" not in entry for entry in written["testing_criteria"])
