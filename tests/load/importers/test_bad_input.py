"""Bad input in every format: truncated files, wrong types, unknown roles, empty content, mixes.

Each bad record is one problem naming its file, line and field, and costs only its own session.
"""

from pathlib import Path

import pytest

from tutorloop.errors import ConfigError, Problem
from tutorloop.load import Item, Skipped, iter_loaded, validate_paths

FIXTURES = Path(__file__).parent / "fixtures"
BAD = FIXTURES / "bad"

EXPECTED = {
    "openai_chat.jsonl": (
        {"openai_chat-1"},
        [
            (2, "messages.1.role", "unknown role 'moderator'"),
            (3, "messages.1.content", "empty content"),
            (4, "messages.1.content", "content must be text or a list of content parts, found int"),
            (5, None, "not an OpenAI chat record"),
            (6, None, "invalid JSON: Unterminated string"),
        ],
    ),
    "openai_responses.jsonl": (
        {"resp_001"},
        [
            (2, "output", "must be a list of items, found str"),
            (3, "messages", "a stored completion without its input messages"),
            (4, None, "invalid JSON"),
        ],
    ),
    "langfuse.jsonl": (
        {"trace-y"},
        [(1, "input.0.role", "unknown role 'narrator'"), (3, None, "invalid JSON")],
    ),
    "langsmith.jsonl": (
        {"langsmith.loops.001"},
        [
            (2, "inputs.messages.0.1.content", "content must be text or a list of content parts"),
            (4, None, "not a LangSmith run record (a JSON list)"),
        ],
    ),
    "otel.jsonl": (
        {"otel.fractions.001"},
        [
            (2, "attributes", "a chat span without messages"),
            (3, "attributes.gen_ai.input.messages.0.parts", "must be a list of parts, found str"),
            (4, None, "invalid JSON"),
        ],
    ),
    "turns.csv": (
        {"csv.good"},
        [
            (7, "role", "unknown role 'narrator'"),
            (9, "content", "empty content"),
            (10, "turn_index", "turn index must be a number, found 'first'"),
        ],
    ),
    "no_columns.csv": (
        set(),
        [(1, None, "no session or role or content column in the header")],
    ),
}


def load(path: Path) -> tuple[set[str], list[Problem]]:
    loaded = list(iter_loaded([path]))
    items = {x.session_id for x in loaded if isinstance(x, Item)}
    return items, [x for x in loaded if isinstance(x, Problem)]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_bad_record_is_one_precise_problem_and_the_rest_is_imported(name):
    sessions, expected = EXPECTED[name]
    items, problems = load(BAD / name)
    assert items == sessions
    assert len(problems) == len(expected), [str(p) for p in problems]
    for problem, (line, field, message) in zip(problems_by_line(problems), expected, strict=True):
        assert problem.path == str(BAD / name)
        assert (problem.line, problem.field) == (line, field), str(problem)
        assert problem.message.startswith(message), str(problem)


def problems_by_line(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: p.line or 0)


def test_a_problem_says_what_to_do_and_which_session_it_costs():
    _, problems = load(BAD / "turns.csv")
    role = next(p for p in problems if p.field == "role")
    assert "assistant (or ai, model, tutor)" in (role.hint or "")
    assert "session 'csv.badrole' is not imported" in (role.hint or "")
    _, problems = load(BAD / "openai_responses.jsonl")
    stored = next(p for p in problems if p.field == "messages")
    assert "GET /v1/chat/completions/{id}/messages" in (stored.hint or "")


def test_validate_reports_every_problem_of_a_folder_of_bad_logs():
    report = validate_paths([BAD])
    assert report.items == sum(len(s) for s, _ in EXPECTED.values())
    # in a folder, a CSV without turn columns is some other file: skipped, not a problem
    assert [Path(s.path).name for s in report.skipped] == ["no_columns.csv"]
    assert len(report.problems) == sum(len(p) for _, p in EXPECTED.values()) - 1


def test_mixed_formats_in_one_folder_read_together(tmp_path):
    for name in ("openai_chat.jsonl", "turns.csv"):
        (tmp_path / name).write_bytes((FIXTURES / "good" / name).read_bytes())
    (tmp_path / "notes.csv").write_text("id,score\n1,0.5\n", encoding="utf-8")
    (tmp_path / "bad.jsonl").write_text('{"messages": [{"role": "user"', encoding="utf-8")
    loaded = list(iter_loaded([tmp_path]))
    assert len([x for x in loaded if isinstance(x, Item)]) == 4
    (skipped,) = [x for x in loaded if isinstance(x, Skipped)]  # a CSV of something else
    assert skipped.path.endswith("notes.csv")
    (problem,) = [x for x in loaded if isinstance(x, Problem)]
    assert problem.path.endswith("bad.jsonl") and problem.line == 1


def test_a_forced_format_reads_every_record_as_that_format():
    loaded = list(iter_loaded([FIXTURES / "good" / "openai_chat.jsonl"], fmt="langfuse"))
    assert all(isinstance(x, Problem) for x in loaded) and len(loaded) == 2
    assert "not a Langfuse trace or observation record" in loaded[0].message
    assert "--format" in (loaded[0].hint or "")


def test_an_unknown_format_is_refused_with_the_choices():
    with pytest.raises(ConfigError, match=r"did you mean 'langsmith'.*choose from tutorloop"):
        list(iter_loaded([BAD], fmt="langsmit"))


def test_a_record_with_messages_is_read_as_openai_chat_not_refused(tmp_path):
    line = '{"session_id": "s", "domain": "math", "messages": []}'
    (tmp_path / "s.jsonl").write_text(line + "\n", encoding="utf-8")
    (problem,) = [x for x in iter_loaded([tmp_path / "s.jsonl"]) if isinstance(x, Problem)]
    assert problem.line == 1 and "no learner or tutor message" in problem.message
    assert "unknown field" not in problem.message


def test_messages_of_the_wrong_type_name_the_field(tmp_path):
    (tmp_path / "m.jsonl").write_text('{"messages": "hello"}\n', encoding="utf-8")
    (problem,) = list(iter_loaded([tmp_path / "m.jsonl"]))
    assert isinstance(problem, Problem)
    assert (problem.line, problem.field) == (1, "messages")
    assert problem.message == "must be a list of messages, found str"


def test_validate_takes_a_forced_format():
    report = validate_paths([FIXTURES / "good" / "turns.csv"], fmt="csv")
    assert report.ok and report.items == 2
