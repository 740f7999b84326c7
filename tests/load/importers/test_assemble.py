"""Sessions assembled from parts: chains in time order, repeated histories, older conventions."""

import json
from pathlib import Path

from tutorloop.load import Item, iter_loaded
from tutorloop.load.importers import read_log
from tutorloop.records import Session


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def only_session(path: Path) -> Session:
    (item,) = [x for x in iter_loaded([path]) if isinstance(x, Item)]
    assert isinstance(item.record, Session)
    return item.record


def message(role: str, text: str) -> dict:
    return {"type": "message", "role": role, "content": [{"type": "output_text", "text": text}]}


def test_a_responses_chain_is_joined_in_created_at_order(tmp_path):
    first = {
        "id": "resp_1",
        "object": "response",
        "created_at": 1,
        "input": "What is 2+3?",
        "output": [message("assistant", "What do you get if you count on from 2?")],
    }
    second = {
        "id": "resp_2",
        "object": "response",
        "created_at": 2,
        "previous_response_id": "resp_1",
        "input": "5",
        "output": [message("assistant", "Yes! Why does that work?")],
    }
    third = {
        **second,
        "id": "resp_3",
        "created_at": 3,
        "previous_response_id": "resp_2",
        "input": [{"role": "user", "content": "Counting on adds one each time."}],
        "output": [message("assistant", "Exactly.")],
    }
    session = only_session(write_jsonl(tmp_path / "r.jsonl", [first, third, second]))
    assert [t.content for t in session.trajectory] == [
        "What is 2+3?",
        "What do you get if you count on from 2?",
        "5",
        "Yes! Why does that work?",
        "Counting on adds one each time.",
        "Exactly.",
    ]


def test_calls_sharing_a_conversation_keep_the_longest_history(tmp_path):
    def span(n: int, history: list[tuple[str, str]]) -> dict:
        attrs = {
            "gen_ai.operation.name": "chat",
            "gen_ai.conversation.id": "c1",
            "gen_ai.prompt": json.dumps([{"role": r, "content": c} for r, c in history]),
            "gen_ai.completion": json.dumps([{"role": "assistant", "content": f"reply {n}"}]),
        }
        return {
            "traceId": f"t{n}",
            "spanId": f"s{n}",
            "startTimeUnixNano": str(n),
            "attributes": [{"key": k, "value": {"stringValue": v}} for k, v in attrs.items()],
        }

    history = [("user", "hi"), ("assistant", "reply 1"), ("user", "more")]
    session = only_session(
        write_jsonl(tmp_path / "o.jsonl", [span(2, history), span(1, history[:1])])
    )
    assert session.session_id == "c1"
    assert [t.content for t in session.trajectory] == ["hi", "reply 1", "more", "reply 2"]


def test_flattened_indexed_prompt_attributes_are_read(tmp_path):
    attrs = {
        "gen_ai.system": "openai",
        "gen_ai.prompt.0.role": "user",
        "gen_ai.prompt.0.content": "Explain fractions",
        "gen_ai.completion.0.role": "assistant",
        "gen_ai.completion.0.content": "What do you already know about them?",
    }
    span = {
        "traceId": "t",
        "spanId": "s",
        "attributes": [{"key": k, "value": {"stringValue": v}} for k, v in attrs.items()],
    }
    session = only_session(write_jsonl(tmp_path / "flat.jsonl", [span]))
    assert [t.role for t in session.trajectory] == ["user", "assistant"]


def test_langsmith_completion_prompts_and_langchain_message_forms(tmp_path):
    run = {
        "id": "r1",
        "run_type": "llm",
        "trace_id": "r1",
        "start_time": "2025-01-01T00:00:00",
        "inputs": {
            "messages": [
                [
                    ["system", "Be brief."],
                    {"type": "human", "data": {"content": "Why is the sky blue?"}},
                ]
            ]
        },
        "outputs": {"generations": [[{"text": "What have you noticed about sunsets?"}]]},
    }
    session = only_session(write_jsonl(tmp_path / "runs.jsonl", [run]))
    assert [t.role for t in session.trajectory] == ["user", "assistant"]
    assert session.metadata["system"] == ["Be brief."]


def test_importers_stream_sessions_before_the_file_is_read_to_its_end(tmp_path):
    line = json.dumps(
        {
            "messages": [
                {"role": "user", "content": "hi"},
                {"role": "assistant", "content": "What do you know?"},
            ]
        }
    )
    path = tmp_path / "big.jsonl"
    path.write_text((line + "\n") * 3, encoding="utf-8")
    sessions = read_log(path, "openai-chat")
    first = next(sessions)
    with path.open("a", encoding="utf-8") as handle:  # written after the first was yielded
        handle.write(line + "\n")
    assert first.origin.endswith(":1") and len([first, *sessions]) == 4
