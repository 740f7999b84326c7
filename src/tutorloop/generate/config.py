"""Options of model calls, grouped: where the provider is, and how the Model wrapper calls it."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ProviderSettings(BaseModel):
    """Where an HTTP provider lives and how to reach it. Never holds a key itself."""

    model_config = ConfigDict(extra="forbid")

    base_url: str | None = None
    """OpenAI-compatible base URL; default ``$OPENAI_BASE_URL``, else OpenAI's own."""
    api: Literal["chat", "responses"] = "chat"
    """Chat Completions (most compatible servers) or the Responses API."""
    api_key_env: str = "OPENAI_API_KEY"
    """Name of the environment variable that holds the key."""
    organization: str | None = None
    project: str | None = None


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
    cache_path: Path | None = None
    """The cache and call-ledger file (default: ``calls.db`` beside the store)."""
    prices_path: Path | None = None
    """A YAML price table replacing the bundled one."""
