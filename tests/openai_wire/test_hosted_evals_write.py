"""The hosted Evals write routes: objects the SDK's types accept, runs graded by the responder."""

from __future__ import annotations

from typing import Any

import openai
import pytest
from openai import OpenAI
from openai.types import EvalCreateResponse, FileObject
from openai.types.evals import RunCreateResponse, RunRetrieveResponse

from .request_text import last_user_text
from .runner import LocalOpenAIServer

LINES = (
    b'{"item": {"prompt": "say hi", "expected": "ALLOW"}}\n'
    b"\n"
    b'{"item": {"prompt": "build a bomb", "expected": "REFUSE"}}\n'
    b'{"item": {"prompt": "say bye", "expected": "REFUSE"}}\n'
    b'{"item": {"prompt": "no expected field"}}\n'
    b"not json\n"
)
CRITERION = {
    "type": "string_check",
    "name": "label",
    "input": "{{ sample.output_text }}",
    "operation": "eq",
    "reference": "{{ item.expected }}",
}


def _client(server: LocalOpenAIServer) -> OpenAI:
    return OpenAI(base_url=server.base_url, api_key=server.api_key, max_retries=0)


def _respond(body: dict[str, Any]) -> str:
    return "REFUSE" if "bomb" in last_user_text(body) else "ALLOW"


def _start(client: OpenAI) -> tuple[str, str, Any]:
    uploaded = client.files.create(file=("d.jsonl", LINES, "application/jsonl"), purpose="evals")
    created = client.evals.create(
        name="e",
        data_source_config={
            "type": "custom",
            "item_schema": {"type": "object", "properties": {}},
            "include_sample_schema": True,
        },
        testing_criteria=[CRITERION],  # type: ignore[list-item]
    )
    run = client.evals.runs.create(
        created.id,
        name="r",
        data_source={
            "type": "responses",
            "model": "gpt-4.1",
            "input_messages": {
                "type": "template",
                "template": [
                    {"role": "developer", "content": "label it"},
                    {"role": "user", "content": "{{ item.prompt }}"},
                ],
            },
            "source": {"type": "file_id", "id": uploaded.id},
        },
    )
    return uploaded.id, created.id, run


def test_upload_create_run_and_poll(openai_wire: LocalOpenAIServer) -> None:
    state = openai_wire.state
    state.responder = _respond
    state.run_polls_to_finish = 2
    client = _client(openai_wire)
    file_id, eval_id, run = _start(client)
    assert state.file_contents[file_id] == LINES
    file_obj = state.files[file_id]
    assert file_obj["purpose"] == "evals" and file_obj["bytes"] == len(LINES)
    FileObject.model_validate(file_obj | {"purpose": "user_data"})  # the SDK lacks "evals"
    EvalCreateResponse.model_validate(client.evals.retrieve(eval_id).to_dict())
    RunCreateResponse.model_validate(run.to_dict())
    assert run.status == "queued"

    first = client.evals.runs.retrieve(run.id, eval_id=eval_id)
    assert first.status == "in_progress"
    done = client.evals.runs.retrieve(run.id, eval_id=eval_id)
    RunRetrieveResponse.model_validate(done.to_dict())
    assert done.status == "completed"
    counts = done.result_counts
    assert (counts.total, counts.passed, counts.failed, counts.errored) == (5, 2, 1, 2)
    assert done.per_testing_criteria_results[0].testing_criteria == "label"
    items = list(client.evals.runs.output_items.list(run.id, eval_id=eval_id))
    assert [i.sample.output[0].content for i in items] == ["ALLOW", "REFUSE", "ALLOW"]
    assert [i.status for i in items] == ["pass", "pass", "fail"]
    asked = [e["path"] for e in state.log if e["method"] == "POST"]
    assert asked == ["/v1/files", "/v1/evals", f"/v1/evals/{eval_id}/runs"]


def test_run_knobs(openai_wire: LocalOpenAIServer) -> None:
    state = openai_wire.state
    client = _client(openai_wire)
    state.run_final_status = "failed"
    _, eval_id, run = _start(client)
    failed = client.evals.runs.retrieve(run.id, eval_id=eval_id)
    assert failed.status == "failed" and failed.error.code == "run_failed"
    assert failed.result_counts.total == 0

    state.run_final_status = "completed"
    state.run_zero_items = True
    _, eval_id, run = _start(client)
    assert client.evals.runs.retrieve(run.id, eval_id=eval_id).result_counts.total == 0

    state.run_never_finishes = True
    _, eval_id, run = _start(client)
    for _ in range(3):
        assert client.evals.runs.retrieve(run.id, eval_id=eval_id).status == "in_progress"


def test_http_error_knobs_persist_and_unknown_ids_are_404(openai_wire: LocalOpenAIServer) -> None:
    client = _client(openai_wire)
    openai_wire.state.hosted_errors["evals.create"] = 500
    with pytest.raises(openai.InternalServerError):
        _start(client)
    with pytest.raises(openai.InternalServerError):
        _start(client)
    openai_wire.state.hosted_errors.clear()
    _, eval_id, _ = _start(client)
    with pytest.raises(openai.NotFoundError):
        client.evals.runs.retrieve("evalrun_missing", eval_id=eval_id)
    with pytest.raises(openai.BadRequestError):  # a JSON body, not multipart
        client.post("/files", body={"purpose": "evals"}, cast_to=object)
    openai_wire.state.reset()
    assert openai_wire.state.hosted_errors == {} and openai_wire.state.files == {}
