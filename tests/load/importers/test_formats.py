"""Each log format converts and grades, from fixtures written after the formats' documentation."""

from pathlib import Path

import pytest

import tutorloop
from tutorloop.load import Item, convert_logs, detect_log_format, iter_loaded
from tutorloop.run import RunConfig

GOOD = Path(__file__).parent / "fixtures" / "good"

EXPECTED = {
    "openai_chat.jsonl": ("openai-chat", {"chat.fractions.001": 6, "openai_chat-2": 4}),
    "openai_responses.jsonl": ("openai-responses", {"resp_001": 6, "stored.loops.001": 4}),
    "langfuse.json": ("langfuse", {"langfuse.fractions.001": 6, "langfuse.loops.001": 4}),
    "langsmith.jsonl": ("langsmith", {"langsmith.loops.001": 4}),
    "otel.json": ("otel", {"otel.fractions.001": 6, "otel.loops.001": 4}),
    "turns.csv": ("csv", {"csv.fractions.001": 6, "csv.loops.001": 4}),
}


def sessions_of(path: Path) -> dict[str, Item]:
    loaded = list(iter_loaded([path]))
    assert all(isinstance(x, Item) for x in loaded), [x for x in loaded if not isinstance(x, Item)]
    return {x.session_id: x for x in loaded if isinstance(x, Item)}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_format_is_detected_and_read_into_sessions(name):
    fmt, turns = EXPECTED[name]
    assert detect_log_format(GOOD / name) == fmt
    found = sessions_of(GOOD / name)
    assert {sid: len(item.trajectory) for sid, item in found.items()} == turns
    for item in found.values():
        roles = [t.role for t in item.trajectory]
        assert roles == ["user", "assistant"] * (len(roles) // 2)  # in order, nothing dropped
        assert item.record.metadata["imported_from"]["format"] == fmt
        assert item.trajectory[0].content.strip() and item.trajectory[-1].content.strip()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_format_grades(name, tmp_path):
    run = tutorloop.grade(GOOD / name, run=RunConfig(run_id="r", store_path=tmp_path / "t.db"))
    assert not run.problems
    assert sorted(r.session_id for r in run.results) == sorted(EXPECTED[name][1])
    assert all(len(r.checks) >= 7 for r in run.results)


def test_a_folder_mixing_every_format_grades_in_one_run(tmp_path):
    run = tutorloop.grade(GOOD, run=RunConfig(run_id="mixed", store_path=tmp_path / "t.db"))
    expected = {sid for _, turns in EXPECTED.values() for sid in turns}
    assert not run.problems
    assert {r.session_id for r in run.results} == expected
    assert run.manifest.counts.done == len(expected)


def test_system_messages_and_tool_calls_are_kept_as_metadata():
    chat = sessions_of(GOOD / "openai_chat.jsonl")["chat.fractions.001"].record
    assert chat.domain == "math" and chat.metadata["tools"] == ["lookup_lesson"]
    assert chat.metadata["system"][0].startswith("You are a patient tutor")
    events = {e["kind"]: e for e in chat.metadata["events"]}
    assert events["tool_call"] == {
        "at_turn": 3, "kind": "tool_call", "id": "call_1", "name": "lookup_lesson",
        "arguments": {"topic": "fractions"},
    }  # fmt: skip
    assert (
        events["tool_result"]["tool_call_id"] == "call_1" and events["tool_result"]["at_turn"] == 3
    )
    responses = sessions_of(GOOD / "openai_responses.jsonl")["resp_001"].record
    kinds = [e["kind"] for e in responses.metadata["events"]]
    assert kinds.count("system") == 1  # the chain repeats its instructions once per call
    assert "tool_call" in kinds and "tool_result" in kinds and "non_text" in kinds  # reasoning
    otel = sessions_of(GOOD / "otel.json")
    assert otel["otel.fractions.001"].record.metadata["provider"] == "openai"
    assert otel["otel.loops.001"].record.metadata["system"]  # from the older per-message events


def test_chat_logs_that_repeat_the_history_keep_the_longest():
    langfuse = sessions_of(GOOD / "langfuse.json")
    fractions = langfuse["langfuse.fractions.001"]
    assert [t.content for t in fractions.trajectory][-1].startswith("Yes. In your own words")
    assert fractions.domain == "math"  # from the trace, the generations name none
    loops = langfuse["langfuse.loops.001"]  # exchanges joined in time order, not file order
    assert loops.trajectory[0].content == "I don't get for loops in Python."


def test_csv_rows_are_ordered_by_turn_index_and_roles_mapped():
    csv = sessions_of(GOOD / "turns.csv")
    fractions = csv["csv.fractions.001"]
    assert fractions.domain == "math"
    assert fractions.trajectory[0].content == "Can you help me add 1/3 and 1/4?"
    assert fractions.record.metadata["system"]  # the 'system' row


def test_converted_sessions_round_trip_as_native_sessions(tmp_path):
    report = convert_logs([GOOD], tmp_path / "out" / "sessions.jsonl")
    assert not report.problems and report.written == 11
    assert dict(report.files) == {f: 1 for f, _ in EXPECTED.values()}
    again = sessions_of(tmp_path / "out" / "sessions.jsonl")
    direct = {sid: item for name in EXPECTED for sid, item in sessions_of(GOOD / name).items()}
    assert {s: i.record for s, i in again.items()} == {s: i.record for s, i in direct.items()}
    assert not list((tmp_path / "out").glob(".*"))  # no partial file left behind
