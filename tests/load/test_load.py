"""Loading: sessions, artifacts, folders and JSONL; every bad input named precisely."""

import json
from pathlib import Path

import pytest

from tutorloop.errors import Problem
from tutorloop.load import Item, Skipped, iter_loaded, validate_paths

GOOD = {
    "session_id": "s.good.001",
    "domain": "math",
    "trajectory": [
        {"role": "user", "content": "help me with fractions"},
        {"role": "assistant", "content": "Sure. What do you already know about fractions?"},
    ],
}


def write(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def problems_of(*paths: Path) -> list[Problem]:
    return [x for x in iter_loaded(paths) if isinstance(x, Problem)]


def test_a_session_file_loads_as_one_item(tmp_path):
    items = list(iter_loaded([write(tmp_path / "a.json", GOOD)]))
    assert len(items) == 1 and isinstance(items[0], Item)
    assert items[0].key == "s.good.001" and items[0].condition is None


def test_jsonl_streams_line_by_line_and_names_bad_lines(tmp_path):
    bad_role = {**GOOD, "session_id": "s2", "trajectory": [{"role": "teacher", "content": "x"}]}
    lines = [json.dumps(GOOD), "", "{not json", json.dumps(bad_role), json.dumps([1, 2])]
    path = tmp_path / "many.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    loaded = list(iter_loaded([path]))
    assert isinstance(loaded[0], Item) and loaded[0].origin == f"{path}:1"
    problems = [x for x in loaded if isinstance(x, Problem)]
    assert [(p.line, p.turn, p.field) for p in problems] == [
        (3, None, None),
        (4, 0, "trajectory.role"),
        (5, None, None),
    ]
    assert "invalid JSON" in problems[0].message
    assert "'teacher'" in problems[1].message and "user" in (problems[1].hint or "")


def test_jsonl_is_not_read_whole(tmp_path):
    path = tmp_path / "big.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for i in range(3):
            handle.write(json.dumps({**GOOD, "session_id": f"s{i}"}) + "\n")
    stream = iter_loaded([path])
    first = next(stream)
    assert isinstance(first, Item) and first.session_id == "s0"


@pytest.mark.parametrize(
    ("data", "turn", "field", "words"),
    [
        ({**GOOD, "trajectory": []}, None, "trajectory", "must not be empty"),
        ({k: v for k, v in GOOD.items() if k != "domain"}, None, "domain", "missing"),
        ({**GOOD, "session_id": 42}, None, "session_id", "valid string"),
        (
            {**GOOD, "trajectory": [GOOD["trajectory"][0], {"role": "assistant", "content": " "}]},
            1,
            "trajectory.content",
            "blank",
        ),
        (
            {**GOOD, "trajectory": [{"role": "user"}]},
            0,
            "trajectory.content",
            "missing",
        ),
        ({**GOOD, "colour": "red"}, None, "colour", "unknown field"),
        ({**GOOD, "schema_version": 7}, None, "schema_version", "upgrade tutorloop"),
    ],
)
def test_each_bad_session_names_turn_and_field(tmp_path, data, turn, field, words):
    (problem,) = problems_of(write(tmp_path / "bad.json", data))
    assert problem.path.endswith("bad.json")
    assert (problem.turn, problem.field) == (turn, field)
    assert words in str(problem)


def test_invalid_json_names_the_line(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{\n  "session_id": "x",\n  "domain": \n}', encoding="utf-8")
    (problem,) = problems_of(path)
    assert problem.line == 4 and "invalid JSON" in problem.message


def test_unreadable_and_missing_files(tmp_path):
    binary = tmp_path / "latin.json"
    binary.write_bytes(b'{"session_id": "\xff"}')
    (problem,) = problems_of(binary)
    assert "cannot read" in problem.message
    (missing,) = problems_of(tmp_path / "nope.json")
    assert "no such file" in missing.message


def test_a_folder_skips_an_index_and_grader_outputs_plainly(tmp_path):
    write(tmp_path / "a.json", GOOD)
    write(tmp_path / "index.json", {"sessions": [{"id": "a", "seed_file": "a.json"}]})
    write(
        tmp_path / "a.llm_judge.eval.json",
        {"session_id": "a", "pedagogical_fidelity_score": 1, "escalate": False, "checks": []},
    )
    loaded = list(iter_loaded([tmp_path]))
    skipped = [x for x in loaded if isinstance(x, Skipped)]
    assert {Path(s.path).name for s in skipped} == {"index.json", "a.llm_judge.eval.json"}
    assert any("index" in s.reason for s in skipped)
    assert sum(isinstance(x, Item) for x in loaded) == 1


def test_a_single_named_index_file_is_a_problem_not_a_skip(tmp_path):
    (problem,) = problems_of(write(tmp_path / "index.json", {"sessions": []}))
    assert "not a session" in problem.message


def test_an_artifact_yields_its_regenerated_trajectory(tmp_path):
    artifact = {
        "session_id": "s.replayed",
        "domain": "ai",
        "prompt": None,
        "agent_instructions": "Be a tutor.",
        "original_trajectory": GOOD["trajectory"],
        "regenerated_trajectory": [GOOD["trajectory"][0], {"role": "assistant", "content": "Hi?"}],
        "regeneration_meta": {"model": "m", "timestamp": "2025-01-01T00:00:00Z"},
    }
    (item,) = iter_loaded([write(tmp_path / "r.json", artifact)])
    assert isinstance(item, Item)
    assert item.key == "s.replayed|overlay" and item.trajectory[1].content == "Hi?"


def test_validate_reports_all_problems_of_all_files_and_duplicates(tmp_path):
    write(tmp_path / "a.json", GOOD)
    write(tmp_path / "b.json", GOOD)
    write(tmp_path / "c.json", {**GOOD, "trajectory": []})
    (tmp_path / "d.json").write_text("[", encoding="utf-8")
    report = validate_paths([tmp_path])
    assert report.items == 2 and not report.ok
    assert len(report.problems) == 2 and len(report.duplicates) == 1
    assert "duplicate session 's.good.001'" in report.duplicates[0].message
