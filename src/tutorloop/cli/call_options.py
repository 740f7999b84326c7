"""Options shared by every command that calls models (``replay``, ``grade`` with models)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, cast

import typer

from tutorloop.errors import ConfigError
from tutorloop.generate import CallPolicy, ProviderSettings

Concurrency = Annotated[int, typer.Option("--concurrency", help="Calls in flight.")]
Rps = Annotated[
    float | None, typer.Option("--rps", help="Requests per second (default: no limit).")
]
Timeout = Annotated[float, typer.Option("--timeout", help="Seconds per call.")]
MaxRetries = Annotated[int, typer.Option("--max-retries", help="Retries per call.")]
BaseUrl = Annotated[str | None, typer.Option("--base-url", help="OpenAI-compatible server URL.")]
Api = Annotated[str, typer.Option("--api", help="chat or responses.")]
Cache = Annotated[
    bool, typer.Option("--cache/--no-cache", help="Reuse answers to identical calls.")
]
CacheScope = Annotated[
    str,
    typer.Option(
        "--cache-scope",
        help="global: reuse answers any run paid for; run: only this run's own.",
    ),
]
Prices = Annotated[
    Path | None,
    typer.Option("--prices", help="Price overrides YAML (others from the maintained table)."),
]


def call_settings(
    *,
    concurrency: int,
    rps: float | None,
    timeout: float,
    max_retries: int,
    base_url: str | None,
    api: str,
    cache: bool,
    prices: Path | None,
    cache_scope: str = "global",
) -> tuple[CallPolicy, ProviderSettings]:
    """The call policy and provider settings the options describe."""
    if api not in ("chat", "responses"):
        raise ConfigError("choose chat or responses", field="--api")
    if cache_scope not in ("run", "global"):
        raise ConfigError("choose run or global", field="--cache-scope")
    policy = CallPolicy(
        concurrency=concurrency,
        rps=rps,
        timeout_s=timeout,
        max_retries=max_retries,
        cache=cache,
        cache_scope=cast(Literal["run", "global"], cache_scope),
        prices_path=prices,
    )
    settings = ProviderSettings(base_url=base_url, api=cast(Literal["chat", "responses"], api))
    return policy, settings
