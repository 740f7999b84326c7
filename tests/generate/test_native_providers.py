"""anthropic/ and google/ through the Model wrapper against local servers that speak each wire."""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.anthropic_wire.server import key_of as anthropic_key_of
from tests.native_wire import Fault, ThreadedServer
from tests.openai_wire.runner import bind_socket
from tutorloop.errors import (
    ConfigError,
    ProviderRequestError,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
)
from tutorloop.generate import (
    CallContext,
    CallPolicy,
    GenerateRequest,
    Message,
    ProviderSettings,
    create_provider,
)


@dataclass(frozen=True)
class Vendor:
    provider: str
    fixture: str
    key_env: str
    url_env: str

    @property
    def model(self) -> str:
        return f"{self.provider}/test-model"

    def system_of(self, body: dict[str, Any]) -> str | None:
        if self.provider == "anthropic":
            return body.get("system")
        parts = (body.get("systemInstruction") or {}).get("parts") or []
        return " ".join(p["text"] for p in parts) or None

    def turns_of(self, body: dict[str, Any]) -> list[tuple[str, str]]:
        if self.provider == "anthropic":
            return [(m["role"], m["content"]) for m in body["messages"]]
        return [(c["role"], " ".join(p["text"] for p in c["parts"])) for c in body["contents"]]

    def key_sent(self, headers: dict[str, str]) -> str | None:
        if self.provider == "anthropic":
            return anthropic_key_of(headers)
        return headers.get("x-goog-api-key")


VENDORS = [
    Vendor("anthropic", "anthropic_wire", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"),
    Vendor("google", "google_wire", "GEMINI_API_KEY", "GOOGLE_GEMINI_BASE_URL"),
]


@pytest.fixture(params=VENDORS, ids=lambda v: v.provider)
def vendor(request, monkeypatch) -> tuple[Vendor, ThreadedServer]:
    spec: Vendor = request.param
    server: ThreadedServer = request.getfixturevalue(spec.fixture)
    monkeypatch.setenv(spec.key_env, server.state.key)
    monkeypatch.setenv(spec.url_env, server.url)
    monkeypatch.delenv("GOOGLE_API_KEY", raising=False)
    return spec, server


@pytest.fixture
def prices(tmp_path: Path) -> Path:
    path = tmp_path / "prices.yaml"
    path.write_text(
        "models:\n"
        "  anthropic/test-model: {input_per_mtok: 1000000, output_per_mtok: 2000000}\n"
        "  google/test-model: {input_per_mtok: 1000000, output_per_mtok: 2000000}\n",
        encoding="utf-8",
    )
    return path


def context(tmp_path: Path, **policy: Any) -> CallContext:
    options = {"cache": False, "backoff_base_s": 0.01, "timeout_s": 10.0, **policy}
    return CallContext(CallPolicy(**options), ProviderSettings(), ledger_path=tmp_path / "calls.db")


def ask(model: str, *messages: tuple[str, str], **fields: Any) -> GenerateRequest:
    return GenerateRequest(
        model=model, messages=tuple(Message(role=r, content=c) for r, c in messages), **fields
    )


def run(ctx: CallContext, *requests: GenerateRequest, close: bool = True):
    async def go():
        try:
            return [await ctx.model(r.model).generate(r) for r in requests]
        finally:
            if close:
                await ctx.aclose()

    return asyncio.run(go())


def test_a_call_maps_system_and_turns_and_returns_text_usage_and_cost(vendor, tmp_path, prices):
    spec, server = vendor
    server.state.push("What do you already know about fractions?")
    ctx = context(tmp_path, prices_path=prices)
    (reply,) = run(
        ctx,
        ask(
            spec.model,
            ("system", "You are a patient tutor."),
            ("user", "help me"),
            ("assistant", "Sure."),
            ("user", "with fractions"),
            ("user", "please"),
        ),
    )
    assert reply.text == "What do you already know about fractions?"
    (seen,) = server.state.requests
    assert spec.key_sent(seen.headers) == server.state.key
    assert spec.system_of(seen.body) == "You are a patient tutor."
    model_role = "assistant" if spec.provider == "anthropic" else "model"
    assert spec.turns_of(seen.body) == [
        ("user", "help me"),
        (model_role, "Sure."),
        ("user", "with fractions\n\nplease"),
    ]
    # the fakes count words: prompt 5 + 2 + 1 + 3, answer 7
    assert reply.usage.input_tokens == 11
    assert reply.usage.output_tokens == 7
    assert reply.cost_usd == pytest.approx(11 * 1 + 7 * 2)
    assert ctx.stats.calls == 1 and ctx.stats.cost_usd == pytest.approx(25)
    if spec.provider == "anthropic":
        assert seen.headers["anthropic-version"] >= "2023-06-01"
        assert seen.body["max_tokens"] == 4096


def test_structured_output_uses_the_apis_own_mechanism(vendor, tmp_path):
    spec, server = vendor
    schema = {
        "type": "object",
        "properties": {"score": {"type": "number"}, "reason": {"type": "string"}},
        "required": ["score", "reason"],
    }
    server.state.push({"score": 0.75, "reason": "asks first"})
    fmt = {"type": "json_schema", "json_schema": {"name": "verdict", "schema": schema}}
    (reply,) = run(
        context(tmp_path),
        ask(spec.model, ("user", "grade this"), response_format=fmt, max_output_tokens=200),
    )
    assert json.loads(reply.text) == {"score": 0.75, "reason": "asks first"}
    body = server.state.requests[0].body
    if spec.provider == "anthropic":
        assert body["tool_choice"] == {"type": "tool", "name": "verdict"}
        assert body["tools"][0]["input_schema"] == schema
        assert body["max_tokens"] == 200
    else:
        config = body["generationConfig"]
        assert config["responseMimeType"] == "application/json"
        assert config["responseJsonSchema"] == schema
        assert config["maxOutputTokens"] == 200


def test_a_429_is_retried_after_the_servers_retry_after(vendor, tmp_path):
    spec, server = vendor
    server.state.push(Fault.rate_limit(0.4), Fault.server_error(503), "finally")
    ctx = context(tmp_path, backoff_max_s=5.0)
    (reply,) = run(ctx, ask(spec.model, ("user", "hi")))
    assert reply.text == "finally"
    first, second, _third = server.state.requests
    assert second.at - first.at >= 0.4  # waited at least Retry-After, not the 0.01 s backoff
    assert ctx.stats.retries == 2 and ctx.stats.attempts == 3 and ctx.stats.calls == 1


def test_rate_limits_past_the_retries_raise_rate_limited(vendor, tmp_path):
    spec, server = vendor
    server.state.push(*[Fault.rate_limit(0.01)] * 3)
    with pytest.raises(RateLimited) as caught:
        run(context(tmp_path, max_retries=2), ask(spec.model, ("user", "hi")))
    assert caught.value.retry_after == pytest.approx(0.01)
    assert len(server.state.requests) == 3


def test_the_timeout_applies_per_attempt(vendor, tmp_path):
    spec, server = vendor
    server.state.push(Fault.delay(3.0), "late")
    with pytest.raises(ProviderTimeout):
        run(context(tmp_path, timeout_s=0.3, max_retries=0), ask(spec.model, ("user", "hi")))


def test_a_wrong_key_is_not_retried_and_never_shown(vendor, tmp_path, monkeypatch, capsys):
    spec, server = vendor
    wrong = "wrong-" + "native-key-" * 2
    monkeypatch.setenv(spec.key_env, wrong)
    with pytest.raises(ProviderRequestError) as caught:
        run(context(tmp_path), ask(spec.model, ("user", "hi")))
    assert len(server.state.requests) == 1
    text = str(caught.value) + repr(caught.value.__cause__) + "".join(capsys.readouterr())
    assert wrong not in text and server.state.key not in text
    assert caught.value.status in (400, 401)


def test_the_cache_answers_a_second_identical_call_and_the_ledger_keeps_both(vendor, tmp_path):
    spec, server = vendor
    server.state.push("first answer")
    request = ask(spec.model, ("user", "same question"))
    policy = {"cache": True, "cache_path": tmp_path / "calls.db"}
    first = run(context(tmp_path, **policy), request)[0]
    ctx = context(tmp_path, **policy)
    ctx.run_id = "r2"
    second = run(ctx, request, close=False)[0]
    assert first.text == second.text == "first answer" and second.cached
    assert len(server.state.requests) == 1 and ctx.stats.cached == 1
    assert ctx.ledger is not None
    assert ctx.ledger.count("cache:") == 1 and ctx.ledger.count("run:r2:") == 1
    ctx.ledger.close()


def test_a_conversation_the_model_opens_starts_with_a_user_turn(vendor, tmp_path):
    spec, server = vendor
    run(context(tmp_path), ask(spec.model, ("assistant", "Hi, I'm stuck."), ("user", "On what?")))
    turns = spec.turns_of(server.state.requests[0].body)
    assert turns[0] == ("user", "(The conversation starts.)") and len(turns) == 3


@pytest.mark.parametrize("spec", VENDORS, ids=lambda v: v.provider)
def test_a_refused_connection_says_so(spec, tmp_path, monkeypatch):
    sock = bind_socket()  # bound, never listening: connections to it are refused
    try:
        monkeypatch.setenv(spec.key_env, "refused-" + "test-key-" * 2)
        monkeypatch.setenv(spec.url_env, f"http://127.0.0.1:{sock.getsockname()[1]}")
        with pytest.raises(ProviderUnavailable, match="connection refused"):
            run(context(tmp_path, max_retries=0), ask(spec.model, ("user", "hi")))
    finally:
        sock.close()


def test_a_missing_key_names_the_variables(monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    monkeypatch.delenv("GOOGLE_API_KEY", raising=False)
    with pytest.raises(ConfigError, match="ANTHROPIC_API_KEY"):
        create_provider("anthropic", ProviderSettings(), 5.0)
    with pytest.raises(ConfigError, match="GEMINI_API_KEY or GOOGLE_API_KEY"):
        create_provider("google", ProviderSettings(), 5.0)
    reloaded = ProviderSettings.model_validate(ProviderSettings().model_dump())
    assert reloaded.key_envs(("GEMINI_API_KEY",)) == ("GEMINI_API_KEY",)
    monkeypatch.setenv("MY_GEMINI", "x" * 12)
    provider = create_provider("google", ProviderSettings(api_key_env="MY_GEMINI"), 5.0)
    assert provider.connection_key.startswith("google|https://generativelanguage.googleapis.com|")
    asyncio.run(provider.aclose())


@pytest.mark.parametrize(
    ("provider", "module", "extra"),
    [("anthropic", "anthropic", "anthropic"), ("google", "google.genai", "google")],
)
def test_a_missing_sdk_names_the_extra_to_install(monkeypatch, provider, module, extra):
    for name in list(sys.modules):
        if (
            name == module
            or name.startswith(module + ".")
            or name.endswith(f"providers.{provider}")
        ):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, module, None)  # import fails as if not installed
    with pytest.raises(ConfigError) as caught:
        create_provider(provider, ProviderSettings(), 5.0)
    assert f"pip install 'tutorloop[{extra}]'" in str(caught.value)
