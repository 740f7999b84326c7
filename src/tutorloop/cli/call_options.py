"""Options shared by every command that calls models (``replay``, ``grade`` with models).

Each defaults to ``None`` (not given): the project config (``tutorloop.yaml``, then
``TUTORLOOP_*`` variables) fills what a flag does not give; the defaults named in the help are
the config's own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from tutorloop.errors import ConfigError

Concurrency = Annotated[
    int | None,
    typer.Option("--concurrency", help="Calls in flight [default: 8].", show_default=False),
]
Rps = Annotated[
    float | None, typer.Option("--rps", help="Requests per second (default: no limit).")
]
Timeout = Annotated[float | None, typer.Option("--timeout", help="Seconds per call [default: 60].")]
MaxRetries = Annotated[
    int | None, typer.Option("--max-retries", help="Retries per call [default: 5].")
]
BaseUrl = Annotated[
    str | None,
    typer.Option("--base-url", help="OpenAI-compatible server URL (every role by default)."),
]
Api = Annotated[str | None, typer.Option("--api", help="chat or responses [default: chat].")]
Cache = Annotated[
    bool | None,
    typer.Option(
        "--cache/--no-cache", help="Reuse answers to identical calls [default: cache].",
        show_default=False,
    ),
]  # fmt: skip
CacheScope = Annotated[
    str | None,
    typer.Option(
        "--cache-scope",
        help="global: reuse answers any run paid for; run: only this run's own [default: global].",
        show_default=False,
    ),
]
Prices = Annotated[
    Path | None,
    typer.Option("--prices", help="Price overrides YAML (others from the maintained table)."),
]


def call_flags(
    *,
    concurrency: int | None,
    rps: float | None,
    timeout: float | None,
    max_retries: int | None,
    cache: bool | None,
    prices: Path | None,
    cache_scope: str | None = None,
) -> dict[str, Any]:
    """The call options given, as dotted project-config settings (``calls.concurrency``)."""
    if cache_scope is not None and cache_scope not in ("run", "global"):
        raise ConfigError("choose run or global", field="--cache-scope")
    return {
        "calls.concurrency": concurrency,
        "calls.rps": rps,
        "calls.timeout_s": timeout,
        "calls.max_retries": max_retries,
        "calls.cache": cache,
        "calls.prices": prices,
        "calls.cache_scope": cache_scope,
    }
