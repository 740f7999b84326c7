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
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tutorloop.errors import ConfigError
from tutorloop.generate import CallPolicy, ProviderSettings
from tutorloop.load import load_yaml_model

__all__ = ["TOKEN_ENV", "ServeConfig", "load_serve_config"]

TOKEN_ENV = "TUTORLOOP_API_TOKEN"
"""The environment variable holding the service's bearer token."""


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
    grader_model: str | None = None
    """Replaces the model of every model grader (e.g. ``sim/study`` offline)."""
    poc_model: str = "sim/study"
    """The classifier model of the ``refusal-smoke`` eval on the ``POST /`` route."""
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

    def token(self) -> str | None:
        """The bearer token every route but ``/healthz`` and ``/readyz`` requires (or None)."""
        value = os.environ.get(TOKEN_ENV, "")
        return value or None

    def check_bind(self) -> None:
        """Refuse to listen beyond this machine without a token.

        Raises:
            ConfigError: ``host`` is not a loopback address and ``$TUTORLOOP_API_TOKEN`` is unset.
        """
        if self.token() is None and not _loopback(self.host):
            raise ConfigError(
                f"refusing to listen on {self.host} without a token: set {TOKEN_ENV} "
                "(clients then send 'Authorization: Bearer <token>'), or bind 127.0.0.1",
                field="--host",
            )


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def load_serve_config(path: str | Path) -> ServeConfig:
    """Read a YAML service config; errors name the file and the field."""
    return load_yaml_model(path, ServeConfig, "the service config")
