"""The hosted Evals API's edges that real scripts rely on, driven by the official SDK."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import openai
import pytest
from openai import OpenAI

from tests.openai_wire.runner import LocalOpenAIServer
from tutorloop.serve.report_links import REPORT_LINK_TTL_S, ReportLinks

from .conftest import LiveService

SCHEMA: Any = {"type": "object", "properties": {"mode": {"type": "string"}}}
CHECK: Any = {
    "type": "string_check", "name": "matches", "input": "{{ sample.output_text }}",
    "reference": "{{ item.expected }}", "operation": "eq",
}  # fmt: skip


def _client(service: LiveService) -> OpenAI:
    return OpenAI(base_url=service.base_url, api_key=service.token, max_retries=0)


def _wait(client: OpenAI, eval_id: str, run_id: str) -> Any:
    deadline = time.monotonic() + 60
    while True:
        run = client.evals.runs.retrieve(run_id, eval_id=eval_id)
        if run.status in ("completed", "failed", "canceled") or time.monotonic() > deadline:
            return run
        time.sleep(0.05)


def _jsonl(rows: list[dict[str, Any]]) -> Any:
    return {"type": "jsonl", "source": {"type": "file_content", "content": rows}}


def _eval(client: OpenAI, criteria: list[Any], schema: Any = None) -> Any:
    return client.evals.create(
        name="edges",
        data_source_config={"type": "custom", "item_schema": schema or {"type": "object"}},
        testing_criteria=criteria,
    )


# --------------------------------------------------------------- model grader replies

REPLIES = {  # item mode -> (score_model reply, label_model reply), as a local server sends them
    "bare": ("1", "correct"),
    "fenced": ('```json\n{"steps": [], "result": 1}\n```', '```\n{"result": "incorrect"}\n```'),
    "unreadable": ("I would say it is mostly right", "correct"),
}


def _ignores_response_format(body: dict[str, Any]) -> str:
    """A server that ignores ``response_format``: it answers what the prompt asks for."""
    prompt = body["messages"][-1]["content"]
    mode = prompt.split("mode=")[1].split()[0]
    result = body["response_format"]["json_schema"]["schema"]["properties"]["result"]
    return REPLIES[mode][1 if "enum" in result else 0]


def test_model_graders_read_bare_and_fenced_replies(
    live: LiveService, openai_wire: LocalOpenAIServer
) -> None:
    openai_wire.state.responder = _ignores_response_format
    client = _client(live)
    ask = [{"role": "user", "content": "Score 1 if correct, 0 if incorrect. mode={{ item.mode }}"}]
    evaluation = _eval(
        client,
        [
            {"type": "score_model", "name": "score", "model": "gpt-4.1", "input": ask,
             "range": [0, 1], "pass_threshold": 1},
            {"type": "label_model", "name": "label", "model": "gpt-4.1", "input": ask,
             "labels": ["correct", "incorrect"], "passing_labels": ["correct"]},
        ],
        SCHEMA,
    )  # fmt: skip
    rows = [{"item": {"mode": m}, "sample": {"output_text": "x"}} for m in REPLIES]
    run = client.evals.runs.create(evaluation.id, data_source=_jsonl(rows))
    done = _wait(client, evaluation.id, run.id)
    assert done.result_counts.to_dict() == {"total": 3, "passed": 1, "failed": 1, "errored": 1}
    items = {
        i.datasource_item["mode"]: i.to_dict()
        for i in client.evals.runs.output_items.list(run.id, eval_id=evaluation.id)
    }
    bare, fenced, unreadable = items["bare"], items["fenced"], items["unreadable"]
    assert bare["status"] == "pass"
    assert [(r["score"], r["passed"]) for r in bare["results"]] == [(1.0, True), (1.0, True)]
    assert bare["results"][1]["label"] == "correct"
    assert fenced["status"] == "fail"
    assert fenced["results"][0]["passed"] is True
    assert fenced["results"][1]["label"] == "incorrect" and fenced["results"][1]["passed"] is False
    assert unreadable["status"] == "error"
    error = unreadable["results"][0]["error"]
    assert error["code"] == "InvalidGraderReply"
    assert "I would say it is mostly right" in error["message"]  # the raw reply is kept
    assert unreadable["results"][1]["passed"] is True


# --------------------------------------------------------------- 400, never 422


def test_validation_errors_are_400_in_openai_error_shape(live: LiveService) -> None:
    client = _client(live)
    with pytest.raises(openai.BadRequestError) as bad_config:
        client.evals.create(
            data_source_config={"type": "nonsense"},  # type: ignore[arg-type, typeddict-item]
            testing_criteria=[CHECK],
        )
    body: Any = bad_config.value.body
    assert bad_config.value.status_code == 400
    assert body["type"] == "invalid_request_error" and body["param"].startswith("data_source")
    evaluation = _eval(client, [CHECK])
    completions: Any = {
        "type": "completions",
        "source": {"type": "file_content", "content": [{"item": {"expected": "a"}}]},
    }
    with pytest.raises(openai.BadRequestError) as no_model:
        client.evals.runs.create(evaluation.id, data_source=completions)
    assert no_model.value.body["param"] == "data_source.model"  # type: ignore[index]
    with live.client() as http:
        for reply in (
            http.post(
                "/v1/evals", content=b"{not json", headers={"Content-Type": "application/json"}
            ),
            http.post("/v1/evals", json={"name": "x"}),
            http.get("/v1/evals", params={"limit": 0}),
        ):
            assert reply.status_code == 400, reply.text
            error = reply.json()["error"]
            assert {"message", "type", "param", "code"} <= set(error)
            assert error["type"] == "invalid_request_error"


# --------------------------------------------------------------- files


def test_files_list_pages_filters_and_serves_content(live: LiveService) -> None:
    client = _client(live)
    contents = [f'{{"item": {{"n": {i}}}}}\n'.encode() for i in range(3)]
    uploaded = [
        client.files.create(file=(f"f{i}.jsonl", data), purpose="evals")
        for i, data in enumerate(contents)
    ]
    ids = [f.id for f in uploaded]
    assert [f.id for f in client.files.list()] == ids[::-1]  # newest first, as the hosted API
    first = client.files.list(limit=2, order="asc")
    assert [f.id for f in first.data] == ids[:2] and first.has_more
    assert [f.id for f in client.files.list(limit=1, order="asc")] == ids  # auto-paginated
    assert [f.id for f in client.files.list(purpose="evals", order="asc")] == ids
    assert client.files.list(purpose="batch").data == []
    assert client.files.content(ids[1]).read() == contents[1]
    with pytest.raises(openai.NotFoundError):
        client.files.content("file_unknown")
    with pytest.raises(openai.BadRequestError) as unknown:
        client.files.list(after="file_unknown")
    assert unknown.value.body["param"] == "after"  # type: ignore[index]


# --------------------------------------------------------------- sampling params


def test_temperature_zero_and_top_p_are_sent_and_reported_as_given(
    live: LiveService, openai_wire: LocalOpenAIServer
) -> None:
    client = _client(live)
    evaluation = _eval(client, [CHECK])
    data_source: Any = {
        "type": "completions",
        "model": "gpt-4.1",
        "input_messages": {"type": "template", "template": [{"role": "user", "content": "hi"}]},
        "sampling_params": {"temperature": 0, "top_p": 0},
        "source": {"type": "file_content", "content": [{"item": {"expected": "ALLOW"}}]},
    }
    run = client.evals.runs.create(evaluation.id, data_source=data_source)
    assert _wait(client, evaluation.id, run.id).status == "completed"
    (body,) = [e["body"] for e in openai_wire.state.log]
    assert body["temperature"] == 0 and body["top_p"] == 0
    (item,) = client.evals.runs.output_items.list(run.id, eval_id=evaluation.id)
    assert item.sample.temperature == 0.0 and item.sample.top_p == 0.0


# --------------------------------------------------------------- canceled runs


def test_a_canceled_run_counts_the_items_graded_before_the_cancel(
    live: LiveService, openai_wire: LocalOpenAIServer
) -> None:
    client = _client(live)
    evaluation = _eval(client, [CHECK])
    openai_wire.state.latency_s = 0.2
    rows = [{"item": {"expected": "ALLOW"}} for _ in range(60)]
    data_source: Any = {
        "type": "completions",
        "model": "gpt-4.1",
        "input_messages": {"type": "template", "template": [{"role": "user", "content": "hi"}]},
        "source": {"type": "file_content", "content": rows},
    }
    run = client.evals.runs.create(evaluation.id, data_source=data_source)
    deadline = time.monotonic() + 60
    while len(client.evals.runs.output_items.list(run.id, eval_id=evaluation.id).data) < 2:
        assert time.monotonic() < deadline, "no item was graded"
        time.sleep(0.05)
    canceled = client.evals.runs.cancel(run.id, eval_id=evaluation.id)
    openai_wire.state.latency_s = 0.0
    stored = list(client.evals.runs.output_items.list(run.id, eval_id=evaluation.id, limit=100))
    assert canceled.status == "canceled"
    assert 2 <= len(stored) < len(rows)
    counts = canceled.result_counts
    assert counts.total == len(stored) == counts.passed + counts.failed + counts.errored
    assert counts.passed == sum(i.status == "pass" for i in stored)
    (criterion,) = canceled.per_testing_criteria_results
    assert criterion.passed + criterion.failed == len(stored)
    assert criterion.testing_criteria == evaluation.testing_criteria[0].id  # type: ignore[union-attr]
    again = client.evals.runs.retrieve(run.id, eval_id=evaluation.id)
    assert again.result_counts.to_dict() == counts.to_dict()


# --------------------------------------------------------------- graders' shapes and ids


def test_multi_sub_graders_take_the_graders_reference_shape(live: LiveService) -> None:
    client = _client(live)
    similar: Any = {
        "type": "text_similarity", "name": "similar", "input": "{{ sample.output_text }}",
        "reference": "{{ item.expected }}", "evaluation_metric": "fuzzy_match",
    }  # fmt: skip
    multi: Any = {
        "type": "multi", "name": "combined", "graders": {"similar": similar},
        "calculate_output": "similar", "pass_threshold": 0.9,
    }  # fmt: skip
    evaluation = _eval(client, [multi])
    rows = [
        {"item": {"expected": "the answer is 4"}, "sample": {"output_text": "the answer is 4"}},
        {"item": {"expected": "the answer is 4"}, "sample": {"output_text": "no idea"}},
    ]
    run = client.evals.runs.create(evaluation.id, data_source=_jsonl(rows))
    done = _wait(client, evaluation.id, run.id)
    assert done.result_counts.to_dict() == {"total": 2, "passed": 1, "failed": 1, "errored": 0}
    with pytest.raises(openai.BadRequestError) as bare:
        _eval(client, [similar])  # a testing criterion still needs its threshold
    assert bare.value.body["param"] == "testing_criteria[0].pass_threshold"  # type: ignore[index]


def test_testing_criteria_carry_ids_used_in_results(live: LiveService) -> None:
    client = _client(live)
    evaluation = _eval(client, [CHECK, {**CHECK, "name": "again"}])
    ids = [c.id for c in evaluation.testing_criteria]  # type: ignore[union-attr]
    for criterion_id, name in zip(ids, ("matches", "again"), strict=True):
        prefix, _, suffix = criterion_id.partition("-")
        assert prefix == name and uuid.UUID(suffix)
    assert [c.id for c in client.evals.retrieve(evaluation.id).testing_criteria] == ids  # type: ignore[union-attr]
    rows = [{"item": {"expected": "a"}, "sample": {"output_text": "a"}}]
    run = client.evals.runs.create(evaluation.id, data_source=_jsonl(rows))
    done = _wait(client, evaluation.id, run.id)
    assert [r.testing_criteria for r in done.per_testing_criteria_results] == ids
    (item,) = client.evals.runs.output_items.list(run.id, eval_id=evaluation.id)
    assert [r.name for r in item.results] == ids


# --------------------------------------------------------------- report_url


def test_report_url_opens_in_a_browser_with_a_signed_expiring_link(live: LiveService) -> None:
    client = _client(live)
    evaluation = _eval(client, [CHECK])
    rows = [{"item": {"expected": "a"}, "sample": {"output_text": "a"}}]
    run = client.evals.runs.create(evaluation.id, data_source=_jsonl(rows))
    done = _wait(client, evaluation.id, run.id)
    link = done.report_url.removeprefix(live.url)
    path = f"/v1/runs/{run.id}/report"
    assert link.startswith(path + "?")
    with live.client(auth=False) as browser:
        opened = browser.get(link)
        assert opened.status_code == 200 and "<html" in opened.text.lower()
        tampered = browser.get(link[:-1] + ("0" if link[-1] != "0" else "1"))
        assert tampered.status_code == 403
        assert "signature does not match" in tampered.json()["error"]["message"]
        stale = ReportLinks(live.token).query(run.id, now=time.time() - 2 * REPORT_LINK_TTL_S)
        expired = browser.get(f"{path}?{stale}")
        assert expired.status_code == 403 and "expired" in expired.json()["error"]["message"]
        query = link.partition("?")[2]
        other = browser.get(f"/v1/runs/{evaluation.id}/report?{query}")  # another run's report
        assert other.status_code == 403
        assert browser.get(path).status_code == 401  # no link, no token
        assert browser.get(f"/v1/runs/{run.id}?{query}").status_code == 401  # that route only
        assert browser.get(f"/v1/evals?{query}").status_code == 401


# --------------------------------------------------------------- lists and nulls


def test_order_by_unknown_after_and_nulls_as_the_hosted_api(live: LiveService) -> None:
    client = _client(live)
    created = [_eval(client, [CHECK]) for _ in range(3)]
    time.sleep(0.01)
    client.evals.update(created[0].id, name="changed")
    ids = [e.id for e in created]
    assert [e.id for e in client.evals.list(order="asc")] == ids  # an update keeps its place
    by_update = client.evals.list(order_by="updated_at", order="desc", limit=1)
    assert by_update.data[0].id == ids[0] and by_update.has_more
    paged = list(client.evals.list(order_by="updated_at", order="asc", limit=1))
    assert [e.id for e in paged] == [ids[1], ids[2], ids[0]]
    for listing in (
        lambda: client.evals.list(after="eval_unknown"),
        lambda: client.evals.runs.list(ids[0], after="evalrun_unknown"),
    ):
        with pytest.raises(openai.BadRequestError) as unknown:
            listing()
        assert unknown.value.body["param"] == "after"  # type: ignore[index]
        assert "eval" in unknown.value.message
    rows = [{"item": {"expected": "a"}, "sample": {"output_text": "a"}}]
    with live.client() as http:
        reply = http.post(f"/v1/evals/{ids[1]}/runs", json={"data_source": _jsonl(rows)})
        queued = reply.json()
    assert queued["per_model_usage"] is None and queued["per_testing_criteria_results"] is None
    assert queued["model"] is None
    done = _wait(client, ids[1], queued["id"])
    assert done.status == "completed" and done.model is None and done.per_model_usage is None
    with pytest.raises(openai.BadRequestError):
        client.evals.runs.output_items.list(done.id, eval_id=ids[1], after="outputitem_unknown")
    with live.client() as http:
        raw = http.get(f"/v1/evals/{ids[1]}/runs/{done.id}").json()
    assert json.dumps(raw["per_testing_criteria_results"]) != "null"
