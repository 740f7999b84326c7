"""How ``tutorloop serve`` runs: address, store, token, limits, and the upstream model server.

The bearer token is never part of the config file: it comes from ``$TUTORLOOP_API_TOKEN`` (read
by :meth:`ServeConfig.token`). The upstream that ``completions``/``responses`` runs sample from
is configured as for the CLI: ``upstream.base_url`` (default ``$OPENAI_BASE_URL``), the key in
``$OPENAI_API_KEY`` (or the variable ``upstream.api_key_env`` names), and ``upstream.api``
(``chat`` or ``responses``: many OpenAI-compatible servers only have chat completions).
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tutorloop.errors import ConfigError
from tutorloop.generate import CallPolicy, ProviderSettings
from tutorloop.load import load_yaml_model
from tutorloop.run import WatchConfig
from tutorloop.serve.review.access import parse_reviewers

__all__ = [
    "REVIEWERS_ENV",
    "TOKEN_ENV",
    "ServeConfig",
    "generate_token",
    "is_loopback",
    "load_serve_config",
]

TOKEN_ENV = "TUTORLOOP_API_TOKEN"
"""The environment variable holding the service's bearer (admin) token."""
REVIEWERS_ENV = "TUTORLOOP_REVIEWER_TOKENS"
"""The environment variable holding reviewers' tokens: ``name=token`` pairs, comma-separated."""

MIN_TOKEN_CHARS = 24
"""A shorter token is refused on a bind beyond this machine."""
MIN_TOKEN_KINDS = 8
"""A token of fewer distinct characters is refused on a bind beyond this machine."""


class ServeConfig(BaseModel):
    """Everything ``tutorloop serve`` needs; a YAML file (``--config``) holds the same fields."""

    model_config = ConfigDict(extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    store_path: Path | None = None
    """The SQLite store shared with the CLI (default: ``$TUTORLOOP_HOME`` or ``./.tutorloop/``)."""
    max_body_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    """Larger request bodies are refused with 413 before they are read."""
    upstream: ProviderSettings = Field(default_factory=ProviderSettings)
    """Where ``completions``/``responses`` runs and model graders call models."""
    calls: CallPolicy = Field(default_factory=lambda: CallPolicy(cache=False))
    """Limits, retries and timeout of those calls (one pool shared by every run)."""
    watch: WatchConfig = Field(default_factory=WatchConfig)
    """How ingested sessions are bucketed and sampled, and the alert rules and webhook."""
    grader_model: str | None = None
    """Replaces the model of every model grader (e.g. ``sim/study`` offline)."""
    poc_model: str = "sim/study"
    """The model ``POST /`` evaluates: the ``refusal-smoke`` classifier and the candidate of
    every registry eval."""
    poc_judge: str | None = "sim/study"
    """The judge of model-graded registry evals on ``POST /`` (None: they cannot run)."""
    registry_path: Path | None = None
    """The registry folder (openai/evals layout) whose evals ``POST /`` runs by name and
    ``GET /datasets`` lists (default: the bundled one)."""
    public_url: str | None = None
    """Base of ``report_url`` links (default: the URL the request came in on)."""
    graceful_shutdown_s: int = Field(default=30, ge=0)
    """Seconds in-flight requests get to finish on SIGTERM/SIGINT."""
    access_log: bool = True
    python_graders: Literal["sandbox", "unsandboxed", "off"] = "sandbox"
    """How ``python`` graders run: in the bubblewrap sandbox (evals using them are refused with
    400 where there is none), ``unsandboxed`` (opt-in: their code can read whatever this
    server's user can read, its keys included), or ``off`` (always refused)."""
    bwrap_path: str = "bwrap"
    """The bubblewrap executable python graders are sandboxed with."""
    allowed_hosts: list[str] = Field(default_factory=list)
    """``Host`` names served besides loopback names and ``host`` (e.g. a proxy's public name)."""
    max_connections: int = Field(default=64, ge=1)
    """Connections served at once; more are answered 503 (uvicorn's ``limit_concurrency``)."""
    max_requests: int | None = Field(default=None, ge=1)
    """Restart-free cap on requests one worker serves (None: no cap)."""
    keep_alive_s: float = Field(default=5.0, gt=0)
    """An idle keep-alive connection is closed after this many seconds."""
    head_timeout_s: float = Field(default=10.0, gt=0)
    """A request line and headers must arrive within this many seconds, else the connection
    is closed (slowloris)."""
    body_timeout_s: float = Field(default=30.0, gt=0)
    """A request body must arrive within this many seconds (plus ``min_body_rate`` time)."""
    min_body_rate: int = Field(default=64 * 1024, ge=1)
    """Bytes per second a slow body upload is allowed on top of ``body_timeout_s``."""
    max_json_depth: int = Field(default=64, ge=2, le=500)
    """JSON bodies nested deeper are refused with 400."""
    max_json_number_chars: int = Field(default=100, ge=20, le=4000)
    """JSON numbers written with more characters are refused with 400."""
    max_grade_sessions: int = Field(default=256, ge=1)
    """Sessions one ``POST /v1/grade`` may send (more: use ``POST /v1/runs``)."""
    work_timeout_s: float = Field(default=30.0, gt=0)
    """Deadline of a request's heavy work (grading a batch, checking rows against a schema)."""
    grade_processes: int = Field(default=0, ge=0)
    """Grading processes for ``POST /v1/grade`` (0: one per core), started at its first request."""

    def token(self) -> str | None:
        """The bearer token from ``$TUTORLOOP_API_TOKEN`` (None: the service generates one)."""
        value = os.environ.get(TOKEN_ENV, "")
        return value or None

    def reviewers(self) -> dict[str, str]:
        """Reviewers' names and tokens from ``$TUTORLOOP_REVIEWER_TOKENS`` (none if unset).

        Raises:
            ConfigError: the variable is malformed (the message never shows a token).
        """
        try:
            return parse_reviewers(os.environ.get(REVIEWERS_ENV, ""))
        except ValueError as exc:
            raise ConfigError(str(exc), field=REVIEWERS_ENV) from None

    def check_bind(self) -> None:
        """Refuse to listen beyond this machine with a weak token.

        Raises:
            ConfigError: ``host`` is not a loopback address and ``$TUTORLOOP_API_TOKEN`` or a
                reviewer's token is shorter than 24 characters or made of fewer than 8
                distinct characters; or a reviewer's token equals the admin token.
        """
        token = self.token()
        reviewers = self.reviewers()
        if token is not None and token in reviewers.values():
            raise ConfigError(
                "a reviewer's token equals the admin token: give each reviewer their own",
                field=REVIEWERS_ENV,
            )
        if is_loopback(self.host):
            return
        named = [(TOKEN_ENV, token)] + [(f"{REVIEWERS_ENV} ({n})", t) for n, t in reviewers.items()]
        for field, value in named:
            if value is None:
                continue
            if len(value) < MIN_TOKEN_CHARS or len(set(value)) < MIN_TOKEN_KINDS:
                raise ConfigError(
                    f"refusing to listen on {self.host} with a weak {field}: use at least "
                    f"{MIN_TOKEN_CHARS} varied characters, e.g. the output of "
                    "'python -c \"import secrets; print(secrets.token_urlsafe(32))\"', "
                    "or unset it to have the service generate one, or bind 127.0.0.1",
                    field=field,
                )

    def served_hosts(self) -> frozenset[str]:
        """The ``Host`` names (without port, lower case) requests may carry."""
        names = {"localhost", "127.0.0.1", "::1", "[::1]", self.host.lower()}
        if ":" in self.host and not self.host.startswith("["):
            names.add(f"[{self.host.lower()}]")
        names.update(h.lower() for h in self.allowed_hosts)
        return frozenset(names)


def generate_token() -> str:
    """A strong random bearer token (43 URL-safe characters)."""
    return secrets.token_urlsafe(32)


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback name or address."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def load_serve_config(path: str | Path) -> ServeConfig:
    """Read a YAML service config; errors name the file and the field."""
    return load_yaml_model(path, ServeConfig, "the service config")
