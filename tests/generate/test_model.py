"""The Model wrapper against a real OpenAI-wire server: retries, limits, timeout, cache, cost."""

import asyncio
import hashlib
import json
import time
from pathlib import Path

import pytest

from tests.openai_wire.server import Fault, Reply
from tutorloop.errors import ProviderRequestError, RateLimited
from tutorloop.generate import (
    CallContext,
    CallPolicy,
    GenerateRequest,
    Message,
    ProviderSettings,
    Purpose,
)

MODEL = "openai/test-model"


def request(text: str = "hello tutor") -> GenerateRequest:
    return GenerateRequest(model=MODEL, messages=(Message(role="user", content=text),))


@pytest.fixture
def prices(tmp_path: Path) -> Path:
    path = tmp_path / "prices.yaml"
    path.write_text(
        "models:\n  openai/test-model: {input_per_mtok: 1000000, output_per_mtok: 2000000}\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def key(monkeypatch, openai_wire):
    monkeypatch.setenv("OPENAI_API_KEY", openai_wire.api_key)
    return openai_wire.api_key


def context(server, tmp_path: Path, api: str = "chat", **policy) -> CallContext:
    options = {"cache": False, "backoff_base_s": 0.01, "timeout_s": 5.0, **policy}
    return CallContext(
        CallPolicy(**options),
        ProviderSettings(base_url=server.base_url, api=api),
        ledger_path=tmp_path / "calls.db",
    )


def generate(ctx: CallContext, *requests: GenerateRequest):
    async def run():
        async with ctx:
            model = ctx.model(MODEL)
            return await asyncio.gather(*(model.generate(r) for r in requests))

    return asyncio.run(run())


@pytest.mark.parametrize("api", ["chat", "responses"])
def test_a_call_returns_text_usage_and_cost(openai_wire, key, tmp_path, prices, api):
    openai_wire.state.push_replies("Hi! What do you already know?")
    ctx = context(openai_wire, tmp_path, api=api, prices_path=prices)
    (response,) = generate(ctx, request("hello tutor"))
    assert response.text == "Hi! What do you already know?"
    assert response.usage.input_tokens == 2 and response.usage.output_tokens == 6
    assert response.cost_usd == pytest.approx(2 * 1 + 6 * 2)
    assert ctx.stats.calls == 1 and ctx.stats.cost_usd == pytest.approx(14)
    path = "/v1/responses" if api == "responses" else "/v1/chat/completions"
    assert openai_wire.state.by_path[path] == 1


@pytest.mark.parametrize(
    "fault",
    [
        Fault.rate_limit(0.05),
        Fault.server_error(),
        Fault.server_error(503),
        Fault.drop(),
        Fault.malformed(),
        Fault.malformed("not json at all", content_type="text/plain"),
        Fault.slow(2.0),
    ],
    ids=["429", "500", "503", "drop", "malformed", "plain-text", "slow"],
)
def test_transient_faults_are_retried(openai_wire, key, tmp_path, fault):
    openai_wire.state.push_faults(fault)
    ctx = context(openai_wire, tmp_path, timeout_s=0.5)
    (response,) = generate(ctx, request())
    assert response.text
    assert ctx.stats.retries == 1 and ctx.stats.attempts == 2


def test_retry_after_is_honoured(openai_wire, key, tmp_path):
    openai_wire.state.push_faults(Fault.rate_limit(0.6))
    ctx = context(openai_wire, tmp_path)
    start = time.monotonic()
    generate(ctx, request())
    assert time.monotonic() - start >= 0.6


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_request_errors_are_not_retried(openai_wire, key, tmp_path, status):
    openai_wire.state.push_faults(Fault.http_status(status))
    ctx = context(openai_wire, tmp_path)
    with pytest.raises(ProviderRequestError) as info:
        generate(ctx, request())
    assert info.value.status == status
    assert openai_wire.state.requests == 1


def test_retries_stop_after_the_limit(openai_wire, key, tmp_path):
    openai_wire.state.push_faults(*[Fault.rate_limit(0.01)] * 5)
    ctx = context(openai_wire, tmp_path, max_retries=2)
    with pytest.raises(RateLimited):
        generate(ctx, request())
    assert openai_wire.state.requests == 3


def test_concurrency_limit_holds(openai_wire, key, tmp_path):
    openai_wire.state.latency_s = 0.1
    ctx = context(openai_wire, tmp_path, concurrency=3)
    generate(ctx, *(request(f"q{i}") for i in range(12)))
    assert openai_wire.state.peak_in_flight == 3


def test_requests_per_second_limit_holds(openai_wire, key, tmp_path):
    ctx = context(openai_wire, tmp_path, rps=10, concurrency=50)
    start = time.monotonic()
    generate(ctx, *(request(f"q{i}") for i in range(25)))
    # a full bucket of 10 at once, then 10 per second: 25 calls need at least 1.5 s
    assert time.monotonic() - start >= 1.4


def test_a_limit_below_one_request_per_second_lets_calls_through(openai_wire, key, tmp_path):
    # aiolimiter refuses a bucket smaller than one request; 0.5 rps means one call per 2 s
    ctx = context(openai_wire, tmp_path, rps=0.5)
    (answer,) = generate(ctx, request("slow lane"))
    assert answer.text and openai_wire.state.requests == 1
    limiter = ctx.limiter("any")
    assert limiter is not None and limiter.time_period == 2.0


def test_the_cache_answers_identical_requests_once(openai_wire, key, tmp_path):
    generate(context(openai_wire, tmp_path, cache=True), request("same"))
    ctx = context(openai_wire, tmp_path, cache=True)
    (again,) = generate(ctx, request("same"))
    assert again.cached and openai_wire.state.requests == 1 and ctx.stats.cached == 1
    generate(context(openai_wire, tmp_path, cache=False), request("same"))
    assert openai_wire.state.requests == 2


def test_the_run_ledger_reuses_answers_even_without_the_cache(openai_wire, key, tmp_path):
    def ctx() -> CallContext:
        return CallContext(
            CallPolicy(cache=False),
            ProviderSettings(base_url=openai_wire.base_url),
            ledger_path=tmp_path / "calls.db",
            run_id="run-1",
        )

    generate(ctx(), request("paid once"))
    resumed = ctx()
    (again,) = generate(resumed, request("paid once"))
    assert again.cached and resumed.stats.resumed == 1
    assert openai_wire.state.requests == 1


def test_structured_output_round_trip(openai_wire, key, tmp_path):
    openai_wire.state.push_replies(Reply(json_obj={"score": 3}))
    schema = {"type": "json_schema", "json_schema": {"name": "s", "schema": {"type": "object"}}}
    req = GenerateRequest(
        model=MODEL, messages=(Message(role="user", content="rate"),), response_format=schema
    )
    (response,) = generate(context(openai_wire, tmp_path), req)
    assert response.text == '{"score": 3}'
    assert openai_wire.state.log[-1]["body"]["response_format"] == schema


def test_purpose_and_context_never_reach_the_wire_or_the_cache_key(openai_wire, key, tmp_path):
    tagged = request("grade this").model_copy(
        update={"purpose": Purpose.SESSION_JUDGE, "context": {"trajectory": [], "secret": 1}}
    )
    assert tagged.fingerprint() == request("grade this").fingerprint()
    assert "purpose" not in tagged.model_dump() and "context" not in tagged.model_dump_json()
    for api in ("chat", "responses"):
        openai_wire.state.push_replies(Reply(text="ok"))
        (response,) = generate(context(openai_wire, tmp_path / api, api=api), tagged)
        assert response.text == "ok"
        body = json.dumps(openai_wire.state.log[-1]["body"])
        assert "purpose" not in body and "secret" not in body and "judge.session" not in body


def test_a_missing_key_is_a_clear_config_error(monkeypatch, openai_wire, tmp_path):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    from tutorloop.errors import ConfigError

    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        generate(context(openai_wire, tmp_path), request())


def test_top_p_joins_the_request_key_only_when_set() -> None:
    base = GenerateRequest(model="sim/base", messages=(Message(role="user", content="hi"),))
    assert base.fingerprint() == GenerateRequest(**base.model_dump()).fingerprint()
    nucleus = base.model_copy(update={"top_p": 0.9})
    assert nucleus.fingerprint() != base.fingerprint()
    # a request without top_p keeps the key it had before the field existed
    legacy = json.dumps(base.model_dump(mode="json", exclude={"top_p"}), sort_keys=True)
    assert base.fingerprint() == hashlib.sha256(legacy.encode("utf-8")).hexdigest()
