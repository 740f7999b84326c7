"""The response cache: an expiry, a run scope, and the ledger's stats and clearing."""

import asyncio
import os
import sqlite3
from pathlib import Path

import pytest

from tutorloop.generate import CallContext, CallLedger, CallPolicy, GenerateRequest, Message

MODEL = "openai/test-model"


@pytest.fixture
def ask(openai_wire, monkeypatch, tmp_path):
    monkeypatch.setenv("OPENAI_API_KEY", openai_wire.api_key)
    monkeypatch.setenv("OPENAI_BASE_URL", openai_wire.base_url)

    def call(text: str, run_id: str | None = None, **policy):
        ctx = CallContext(CallPolicy(cache_path=tmp_path / "calls.db", **policy), run_id=run_id)
        request = GenerateRequest(model=MODEL, messages=(Message(role="user", content=text),))

        async def go():
            async with ctx:
                return await ctx.model(MODEL).generate(request)

        return asyncio.run(go()), ctx

    return call


def age(path: Path, prefix: str, seconds: int) -> None:
    """Make the entries under ``prefix`` look ``seconds`` old."""
    with sqlite3.connect(path) as conn:
        conn.execute(
            "UPDATE responses SET created_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ?)"
            " WHERE key LIKE ?",
            (f"-{seconds} seconds", prefix + "%"),
        )


def test_an_expired_answer_is_asked_again(ask, openai_wire, tmp_path):
    ask("same")
    reused, _ = ask("same")
    assert reused.cached and openai_wire.state.requests == 1
    age(tmp_path / "calls.db", "cache:", 3600)
    again, _ = ask("same", cache_ttl_s=60)
    assert not again.cached and openai_wire.state.requests == 2
    kept, _ = ask("same", cache_ttl_s=60)  # the fresh answer replaced the expired one
    assert kept.cached and openai_wire.state.requests == 2


def test_the_default_expiry_is_thirty_days():
    assert CallPolicy().cache_ttl_s == 30 * 24 * 3600


def test_run_scope_reuses_only_the_runs_own_answers(ask, openai_wire, tmp_path):
    ask("scoped", run_id="A")
    other, ctx = ask("scoped", run_id="B", cache_scope="run")
    assert not other.cached and openai_wire.state.requests == 2
    resumed, ctx = ask("scoped", run_id="B", cache_scope="run")
    assert resumed.cached and ctx.stats.resumed == 1 and openai_wire.state.requests == 2
    ledger = CallLedger(tmp_path / "calls.db")
    try:
        assert ledger.count("cache:") == 1  # written by A's global-scope run only
    finally:
        ledger.close()


def test_an_unknown_price_is_none_and_said(ask):
    response, ctx = ask("priceless")
    assert response.cost_usd is None
    assert ctx.stats.unpriced == {MODEL} and ctx.stats.cost_usd == 0


def test_stats_and_clear_by_kind_and_age(tmp_path):
    from tutorloop.generate import GenerateResponse

    ledger = CallLedger(tmp_path / "calls.db")
    try:
        answer = GenerateResponse(text="x" * 10, model="m")
        ledger.put(["cache:1", "run:r:1"], answer)
        ledger.put(["cache:2"], answer)
        age(tmp_path / "calls.db", "cache:1", 7200)
        stats = ledger.stats("cache:", max_age_s=3600)
        assert (stats.entries, stats.expired) == (2, 1) and stats.bytes > 20
        assert stats.oldest is not None and stats.oldest < (stats.newest or "")
        assert ledger.clear("cache:", older_than_s=3600) == 1
        assert ledger.count("cache:") == 1 and ledger.count("run:") == 1
        assert ledger.clear("cache:") == 1 and ledger.count("") == 1
    finally:
        ledger.close()
    assert os.path.exists(tmp_path / "calls.db")
