"""Options of model calls, grouped: where the provider is, and how the Model wrapper calls it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

_DEFAULT_KEY_ENV = "OPENAI_API_KEY"


class ProviderSettings(BaseModel):
    """Where an HTTP provider lives and how to reach it. Never holds a key itself."""

    model_config = ConfigDict(extra="forbid")

    base_url: str | None = None
    """The provider's base URL. Default: the provider's own variable (``$OPENAI_BASE_URL``,
    ``$ANTHROPIC_BASE_URL``, ``$GOOGLE_GEMINI_BASE_URL``), else the vendor's public API."""
    api: Literal["chat", "responses"] = "chat"
    """``openai/``: Chat Completions (most compatible servers) or the Responses API."""
    api_key_env: str = _DEFAULT_KEY_ENV
    """Name of the environment variable that holds the key. Left at its default, each provider
    reads its own: ``OPENAI_API_KEY``, ``ANTHROPIC_API_KEY``, ``GEMINI_API_KEY`` or
    ``GOOGLE_API_KEY``."""
    organization: str | None = None
    project: str | None = None

    def key_envs(self, defaults: tuple[str, ...]) -> tuple[str, ...]:
        """The variables to read the key from: one named here, else a provider's ``defaults``.

        The default name counts as unset (so settings that went through a dump and a reload
        still let each provider read its own variable).
        """
        named = self.api_key_env != _DEFAULT_KEY_ENV
        return (self.api_key_env,) if named else defaults

    def url(self, env: str) -> str | None:
        """The base URL set here, else the value of the provider's variable ``env``, else None."""
        return self.base_url or os.environ.get(env) or None


class CallPolicy(BaseModel):
    """How the Model wrapper calls a provider: limits, retries, timeout, cache."""

    model_config = ConfigDict(extra="forbid")

    concurrency: int = Field(default=8, ge=1)
    """Calls in flight at once, per provider + base URL + key."""
    rps: float | None = Field(default=None, gt=0)
    """Requests per second, per provider + base URL + key (None: unlimited)."""
    max_retries: int = Field(default=5, ge=0)
    """Retries after the first attempt, on 429, 5xx, timeouts and connection errors."""
    backoff_base_s: float = Field(default=0.5, gt=0)
    backoff_max_s: float = Field(default=30.0, gt=0)
    timeout_s: float = Field(default=60.0, gt=0)
    """Per attempt."""
    cache: bool = True
    """Reuse answers to identical requests from the on-disk cache."""
    cache_scope: Literal["run", "global"] = "global"
    """``global``: any run may reuse an answer; ``run``: only the run that paid for it (its
    ledger, which also makes a resumed run repeat no call)."""
    cache_ttl_s: float | None = Field(default=30 * 24 * 3600.0, gt=0)
    """How long a cached answer may be reused by other runs, in seconds (None: for ever)."""
    cache_path: Path | None = None
    """The cache and call-ledger file (default: ``calls.db`` beside the store)."""
    prices_path: Path | None = None
    """A YAML file of price overrides, model by model, over the maintained table."""


ROLES = ("tutor", "learner", "judge", "grader")
"""The roles a run calls models in; each may have an :class:`Endpoint` of its own."""


class Endpoint(BaseModel):
    """One role's model and where its provider lives.

    The model's ``provider/`` prefix chooses the provider (any registered one); the other fields
    say where that provider is. An endpoint that sets none of them (only a model) calls through
    the run's default provider settings. Only the *name* of the key's variable is ever held.
    """

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    model: str | None = None
    """``provider/model``, e.g. ``openai/gpt-4.1-mini`` or ``anthropic/claude-sonnet-4-5``."""
    base_url: str | None = None
    """The provider's base URL (default: the provider's own, e.g. ``$OPENAI_BASE_URL``)."""
    api: Literal["chat", "responses"] | None = None
    """For ``openai/``: Chat Completions (the default) or the Responses API."""
    key_env: str | None = None
    """Name of the variable holding the key (default: the provider's own, e.g.
    ``OPENAI_API_KEY``)."""
    organization: str | None = None
    project: str | None = None

    @property
    def routes(self) -> bool:
        """Whether it says where its provider is (else the run's default settings apply)."""
        where = (self.base_url, self.api, self.key_env, self.organization, self.project)
        return any(value is not None for value in where)

    def settings(self) -> ProviderSettings:
        """The provider settings of this endpoint; without ``key_env``, the provider's own."""
        named = {"api_key_env": self.key_env} if self.key_env else {}
        return ProviderSettings(
            base_url=self.base_url,
            api=self.api or "chat",
            organization=self.organization,
            project=self.project,
            **named,
        )
