"""The openai_wire server, exercised through the official ``openai`` SDK over real HTTP."""

from __future__ import annotations

import asyncio
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import openai
import pytest
from openai import AsyncOpenAI
from openai.types.chat import ChatCompletion, ChatCompletionMessageParam
from openai.types.responses import Response

from .runner import LocalOpenAIServer
from .server import Fault, Reply, ServerState, count_words

T = TypeVar("T")

REPO_ROOT = Path(__file__).resolve().parents[2]
USER: list[ChatCompletionMessageParam] = [{"role": "user", "content": "hello there world"}]


def client(server: LocalOpenAIServer, **kwargs: Any) -> AsyncOpenAI:
    """An SDK client for ``server``: no retries and a short timeout unless overridden."""
    options: dict[str, Any] = {"api_key": server.api_key, "max_retries": 0, "timeout": 5.0}
    options.update(kwargs)
    return AsyncOpenAI(base_url=server.base_url, **options)


def call(server: LocalOpenAIServer, fn: Callable[[AsyncOpenAI], Awaitable[T]], **kw: Any) -> T:
    """Run ``fn(client)`` on a fresh client in a fresh event loop, closing the client."""

    async def go() -> T:
        async with client(server, **kw) as c:
            return await fn(c)

    return asyncio.run(go())


def chat(server: LocalOpenAIServer, **kw: Any) -> ChatCompletion:
    """One chat completion with ``USER``; ``kw`` goes to ``create`` (e.g. ``timeout=0.5``)."""
    completion: ChatCompletion = call(
        server, lambda c: c.chat.completions.create(model="gpt-4o-mini", messages=USER, **kw)
    )
    return completion


# --------------------------------------------------------------------------- happy paths


def test_chat_completion_text_and_usage(openai_wire: LocalOpenAIServer) -> None:
    messages: Any = [{"role": "system", "content": "You are a tutor."}, *USER]
    completion = call(
        openai_wire,
        lambda c: c.chat.completions.create(
            model="gpt-4o-mini", messages=messages, temperature=0.0, seed=7
        ),
    )

    assert completion.object == "chat.completion"
    assert completion.id.startswith("chatcmpl-")
    assert completion.model == "gpt-4o-mini"
    choice = completion.choices[0]
    assert choice.message.role == "assistant"
    assert choice.message.content == "reply to: hello there world"
    assert choice.finish_reason == "stop"
    assert completion.usage is not None
    assert completion.usage.prompt_tokens == 4 + 3
    assert completion.usage.completion_tokens == 5
    assert completion.usage.total_tokens == 12

    state = openai_wire.state
    assert state.requests == 1
    assert state.by_path["/v1/chat/completions"] == 1
    entry = state.log[0]
    assert entry["model"] == "gpt-4o-mini"
    assert entry["messages"] == messages
    assert entry["body"]["temperature"] == 0.0
    assert entry["body"]["seed"] == 7
    assert entry["auth_present"] is True
    assert state.last_auth_present is True
    assert "authorization" not in entry["headers"]
    assert openai_wire.api_key not in json.dumps(state.log)
    assert entry["fault"] is None


def test_scripted_replies_are_consumed_in_order(openai_wire: LocalOpenAIServer) -> None:
    openai_wire.state.push_replies("first answer", Reply(text="second"))
    texts = [chat(openai_wire).choices[0].message.content for _ in range(3)]
    assert texts == ["first answer", "second", "reply to: hello there world"]


def test_custom_responder_sees_the_request_body(openai_wire: LocalOpenAIServer) -> None:
    openai_wire.state.responder = lambda body: f"{body['model']} seed={body.get('seed')}"
    assert chat(openai_wire, seed=3).choices[0].message.content == "gpt-4o-mini seed=3"


def test_json_obj_reply_round_trips(openai_wire: LocalOpenAIServer) -> None:
    obj = {"verdict": "pass", "score": 0.75, "reasons": ["asks a question", "no answer given"]}
    openai_wire.state.push_replies(Reply(json_obj=obj), Reply(json_obj=obj))
    response_format: Any = {"type": "json_object"}

    completion = chat(openai_wire, response_format=response_format)
    content = completion.choices[0].message.content
    assert content is not None
    assert json.loads(content) == obj
    assert completion.usage is not None
    assert completion.usage.completion_tokens == count_words(json.dumps(obj))
    assert openai_wire.state.log[0]["body"]["response_format"] == response_format

    response = call(openai_wire, lambda c: c.responses.create(model="gpt-4o-mini", input="grade"))
    assert json.loads(response.output_text) == obj


def test_responses_output_text_and_usage(openai_wire: LocalOpenAIServer) -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}
    text_config: Any = {"format": {"type": "json_schema", "name": "out", "schema": schema}}
    items: Any = [
        {"role": "user", "content": "first question here"},
        {"role": "assistant", "content": "an answer"},
        {"role": "user", "content": [{"type": "input_text", "text": "follow up please"}]},
    ]

    raw = call(
        openai_wire,
        lambda c: c.responses.with_raw_response.create(
            model="gpt-4.1-mini", input=items, instructions="Be brief.", text=text_config
        ),
    )
    response = raw.parse()
    # The raw JSON validates strictly against the SDK's model, not just lenient construction.
    Response.model_validate(json.loads(raw.http_response.content))

    assert response.object == "response"
    assert response.status == "completed"
    assert response.model == "gpt-4.1-mini"
    assert response.output_text == "reply to: follow up please"
    assert response.usage is not None
    assert response.usage.input_tokens == 2 + 3 + 2 + 3
    assert response.usage.output_tokens == 5
    assert response.usage.total_tokens == 15
    assert response.usage.input_tokens_details.cached_tokens == 0
    assert response.usage.output_tokens_details.reasoning_tokens == 0
    assert response.text is not None
    assert response.text.format is not None
    assert response.text.format.type == "json_schema"

    entry = openai_wire.state.log[0]
    assert entry["path"] == "/v1/responses"
    assert entry["input"] == items
    assert entry["instructions"] == "Be brief."


def test_chat_completion_json_validates_strictly(openai_wire: LocalOpenAIServer) -> None:
    raw = call(
        openai_wire,
        lambda c: c.chat.completions.with_raw_response.create(model="m", messages=USER),
    )
    ChatCompletion.model_validate(json.loads(raw.http_response.content))
    assert raw.headers["x-request-id"].startswith("req_")


def test_token_limits_truncate_the_reply(openai_wire: LocalOpenAIServer) -> None:
    completion = chat(openai_wire, max_completion_tokens=2)
    assert completion.choices[0].message.content == "reply to:"
    assert completion.choices[0].finish_reason == "length"

    response = call(
        openai_wire,
        lambda c: c.responses.create(model="m", input="a b c", max_output_tokens=3),
    )
    assert response.output_text == "reply to: a"
    assert response.status == "incomplete"
    assert response.incomplete_details is not None
    assert response.incomplete_details.reason == "max_output_tokens"


def test_models_list_and_retrieve(openai_wire: LocalOpenAIServer) -> None:
    async def go(c: AsyncOpenAI) -> list[str]:
        return [m.id async for m in c.models.list()]

    assert call(openai_wire, go) == list(openai_wire.state.models)
    model = call(openai_wire, lambda c: c.models.retrieve("gpt-4o-mini"))
    assert model.id == "gpt-4o-mini"
    with pytest.raises(openai.NotFoundError) as info:
        call(openai_wire, lambda c: c.models.retrieve("no-such-model"))
    assert info.value.code == "model_not_found"


def test_streaming_and_bad_parameters_are_400(openai_wire: LocalOpenAIServer) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        call(
            openai_wire,
            lambda c: c.chat.completions.create(model="m", messages=USER, stream=True),
        )
    assert info.value.param == "stream"
    with pytest.raises(openai.BadRequestError) as info:
        chat(openai_wire, temperature=3.5)
    assert info.value.param == "temperature"


# --------------------------------------------------------------------------- auth


def test_missing_key_is_401(openai_wire: LocalOpenAIServer) -> None:
    with pytest.raises(openai.AuthenticationError) as info:
        chat(openai_wire, extra_headers={"Authorization": openai.omit})
    assert info.value.status_code == 401
    assert info.value.type == "invalid_request_error"
    assert openai_wire.state.last_auth_present is False
    assert openai_wire.state.log[0]["auth_present"] is False


def test_wrong_key_is_401_when_a_key_is_required(openai_wire: LocalOpenAIServer) -> None:
    openai_wire.state.required_key = "sk-the-right-one"
    with pytest.raises(openai.AuthenticationError) as info:
        call(
            openai_wire,
            lambda c: c.chat.completions.create(model="m", messages=USER),
            api_key="sk-wrong",
        )
    assert info.value.code == "invalid_api_key"
    assert chat(openai_wire).choices[0].message.content  # openai_wire.api_key is the right key


# --------------------------------------------------------------------------- faults


@pytest.mark.parametrize(
    ("fault", "error", "status"),
    [
        (Fault.server_error(), openai.InternalServerError, 500),
        (Fault.server_error(503), openai.InternalServerError, 503),
        (Fault.http_status(400), openai.BadRequestError, 400),
        (Fault.http_status(401), openai.AuthenticationError, 401),
        (Fault.http_status(403), openai.PermissionDeniedError, 403),
        (Fault.http_status(404), openai.NotFoundError, 404),
        (Fault.http_status(422), openai.UnprocessableEntityError, 422),
    ],
    ids=["500", "503", "400", "401", "403", "404", "422"],
)
def test_status_faults_raise_the_matching_sdk_error(
    openai_wire: LocalOpenAIServer, fault: Fault, error: type[openai.APIStatusError], status: int
) -> None:
    openai_wire.state.push_faults(fault)
    with pytest.raises(error) as info:
        chat(openai_wire)
    assert info.value.status_code == status
    assert isinstance(info.value.body, dict)
    assert set(info.value.body) == {"message", "type", "param", "code"}
    assert openai_wire.state.log[0]["fault"] == fault.kind
    # One request, one fault: the next call is answered normally.
    assert chat(openai_wire).choices[0].message.content == "reply to: hello there world"


def test_rate_limit_fault_sends_retry_after(openai_wire: LocalOpenAIServer) -> None:
    openai_wire.state.push_faults(Fault.rate_limit(2))
    with pytest.raises(openai.RateLimitError) as info:
        chat(openai_wire)
    assert info.value.status_code == 429
    assert info.value.response.headers["retry-after"] == "2"
    assert info.value.code == "rate_limit_exceeded"
    assert info.value.type == "requests"


def test_sdk_retries_through_faults(openai_wire: LocalOpenAIServer) -> None:
    # Retry-After keeps the SDK's waits short; the drop (no response, so no header) goes
    # first, where the SDK's own backoff is shortest.
    openai_wire.state.push_faults(
        Fault.drop(),
        Fault.rate_limit(0.01),
        Fault.server_error(headers={"retry-after-ms": "10"}),
    )
    started = time.monotonic()
    completion = call(
        openai_wire,
        lambda c: c.chat.completions.create(model="m", messages=USER),
        max_retries=3,
    )
    assert completion.choices[0].message.content == "reply to: hello there world"
    assert [e["fault"] for e in openai_wire.state.log] == [
        "drop",
        "rate_limit",
        "server_error",
        None,
    ]
    assert openai_wire.state.requests == 4
    assert time.monotonic() - started < 3.0


def test_slow_fault_trips_the_client_timeout(openai_wire: LocalOpenAIServer) -> None:
    openai_wire.state.push_faults(Fault.slow(5.0))
    started = time.monotonic()
    with pytest.raises(openai.APITimeoutError):
        chat(openai_wire, timeout=0.5)
    assert time.monotonic() - started < 2.0
    # The server notices the client leaving and stops waiting.
    deadline = time.monotonic() + 2.0
    while openai_wire.state.in_flight and time.monotonic() < deadline:
        time.sleep(0.01)
    assert openai_wire.state.in_flight == 0
    assert openai_wire.state.client_disconnects == 1


def test_slow_fault_within_the_timeout_answers(openai_wire: LocalOpenAIServer) -> None:
    openai_wire.state.push_faults(Fault.slow(0.1))
    started = time.monotonic()
    assert chat(openai_wire).choices[0].message.content == "reply to: hello there world"
    assert time.monotonic() - started >= 0.1


def test_drop_fault_is_a_connection_error(openai_wire: LocalOpenAIServer) -> None:
    openai_wire.state.push_faults(Fault.drop())
    with pytest.raises(openai.APIConnectionError) as info:
        chat(openai_wire)
    assert not isinstance(info.value, openai.APITimeoutError)
    assert "without sending a response" in str(info.value.__cause__)


def test_drop_fault_through_the_aiohttp_transport_looks_like_a_timeout(
    openai_wire: LocalOpenAIServer,
) -> None:
    # Observed with openai 3.54: its vendored aiohttp transport (DefaultAioHttpClient, which
    # tutorloop's provider uses) maps aiohttp's ServerDisconnectedError to httpx ConnectTimeout,
    # so a dropped connection surfaces as APITimeoutError rather than a plain connection error.
    openai_wire.state.push_faults(Fault.drop())
    with pytest.raises(openai.APITimeoutError) as info:
        call(
            openai_wire,
            lambda c: c.chat.completions.create(model="m", messages=USER),
            http_client=openai.DefaultAioHttpClient(),
        )
    assert "disconnected" in str(info.value.__cause__).lower()


def test_malformed_json_body_raises_a_json_decode_error(openai_wire: LocalOpenAIServer) -> None:
    # Observed with openai 3.54: a 200 with Content-Type application/json and a body that is
    # not JSON is not wrapped by the SDK; json.JSONDecodeError (a ValueError) escapes.
    openai_wire.state.push_faults(Fault.malformed())
    with pytest.raises(json.JSONDecodeError):
        chat(openai_wire)


def test_malformed_non_json_content_type(openai_wire: LocalOpenAIServer) -> None:
    # Non-JSON Content-Type: the lenient SDK hands back the raw text instead of a model...
    openai_wire.state.push_faults(Fault.malformed("upstream exploded", content_type="text/plain"))
    assert chat(openai_wire) == "upstream exploded"  # type: ignore[comparison-overlap]
    # ...and a strict client raises APIResponseValidationError.
    openai_wire.state.push_faults(Fault.malformed("upstream exploded", content_type="text/plain"))
    with pytest.raises(openai.APIResponseValidationError):
        call(
            openai_wire,
            lambda c: c.chat.completions.create(model="m", messages=USER),
            _strict_response_validation=True,
        )


def test_script_items_validate_their_arguments() -> None:
    with pytest.raises(ValueError):
        Reply()
    with pytest.raises(ValueError):
        Reply(text="a", json_obj={"a": 1})
    with pytest.raises(ValueError):
        Fault.server_error(404)
    with pytest.raises(ValueError):
        Fault.http_status(200)
    assert Fault.malformed("x").body == b"x"


# --------------------------------------------------------------------------- concurrency


def test_peak_in_flight_counts_concurrent_requests(openai_wire: LocalOpenAIServer) -> None:
    openai_wire.state.latency_s = 0.2

    async def five(c: AsyncOpenAI) -> list[ChatCompletion]:
        calls = [c.chat.completions.create(model="m", messages=USER) for _ in range(5)]
        return await asyncio.gather(*calls)

    started = time.monotonic()
    results = call(openai_wire, five)
    elapsed = time.monotonic() - started

    assert len(results) == 5
    assert openai_wire.state.peak_in_flight == 5
    assert openai_wire.state.in_flight == 0
    assert 0.2 <= elapsed < 0.8


def test_reset_clears_script_faults_counters_and_latency(openai_wire: LocalOpenAIServer) -> None:
    state = openai_wire.state
    state.latency_s = 0.05
    state.required_key = "sk-x"
    state.push_replies("scripted")
    state.push_faults(Fault.server_error())
    with pytest.raises(openai.InternalServerError):
        chat(openai_wire)  # consumes the fault; the reply stays queued
    state.reset()
    assert state.stats() == {
        "requests": 0,
        "peak_in_flight": 0,
        "in_flight": 0,
        "by_path": {},
        "client_disconnects": 0,
        "faults_pending": 0,
        "replies_pending": 0,
    }
    assert state.log == []
    assert state.latency_s == 0.0
    assert state.required_key is None
    assert state.last_auth_present is None


def test_a_private_server_with_its_own_state() -> None:
    with LocalOpenAIServer(ServerState(responder=lambda body: "fixed")) as server:
        assert server.running
        assert chat(server).choices[0].message.content == "fixed"
        port = server.port
    assert not server.running
    assert port > 0


# --------------------------------------------------------------------------- CLI


def _read_line(stream: Any, timeout_s: float) -> str:
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: lines.put(stream.readline()), daemon=True).start()
    return lines.get(timeout=timeout_s)


def _http_json(url: str, method: str = "GET") -> Any:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    with opener.open(request, timeout=5) as reply:
        return json.loads(reply.read())


@pytest.mark.e2e
def test_cli_runner_prints_ready_and_serves_stats() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    command = [
        sys.executable,
        "-m",
        "tests.openai_wire.runner",
        "--latency-ms",
        "20",
        "--port",
        "0",
    ]
    with subprocess.Popen(
        command,
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        try:
            line = _read_line(proc.stdout, timeout_s=20)
            match = re.fullmatch(r"READY (http://127\.0\.0\.1:(\d+)/v1)\n", line)
            assert match, f"unexpected first line {line!r}"
            base_url = match.group(1)
            root = base_url.removesuffix("/v1")

            assert _http_json(f"{root}/_stats")["requests"] == 0

            async def go() -> ChatCompletion:
                async with AsyncOpenAI(base_url=base_url, api_key="k", max_retries=0) as c:
                    return await c.chat.completions.create(model="m", messages=USER)

            completion = asyncio.run(go())
            assert completion.choices[0].message.content == "reply to: hello there world"
            stats = _http_json(f"{root}/_stats")
            assert stats["requests"] == 1
            assert stats["peak_in_flight"] == 1
            assert _http_json(f"{root}/_reset", method="POST")["requests"] == 0
        finally:
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=10)
        assert proc.returncode == 0, err
        assert out == ""  # nothing after the READY line
