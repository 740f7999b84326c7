"""What a model is asked and what it answers: provider-neutral request and response records."""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MessageRole = Literal["system", "developer", "user", "assistant"]


class Message(BaseModel):
    """One chat message sent to a model."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    role: MessageRole
    content: str


class GenerateRequest(BaseModel):
    """A request to one model: messages plus sampling settings."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str
    """``provider/model``, e.g. ``openai/gpt-4.1-mini`` or ``sim/study``."""
    messages: tuple[Message, ...]
    temperature: float | None = None
    top_p: float | None = Field(default=None, ge=0, le=1)
    max_output_tokens: int | None = Field(default=None, ge=1)
    seed: int | None = None
    response_format: dict[str, Any] | None = None
    """A JSON Schema response format (structured outputs), as the Chat Completions API takes it."""

    def fingerprint(self) -> str:
        """sha256 of the canonical request: the cache and the call ledger key on it."""
        # top_p joins the key only when set, so requests without it keep their earlier keys
        unset = {"top_p"} if self.top_p is None else None
        data = self.model_dump(mode="json", exclude=unset)
        blob = json.dumps(data, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class TokenUsage(BaseModel):
    """Tokens a call used, as the provider reported them."""

    model_config = ConfigDict(extra="forbid")

    input_tokens: int = 0
    output_tokens: int = 0


class GenerateResponse(BaseModel):
    """A model's answer."""

    model_config = ConfigDict(extra="forbid")

    text: str
    model: str
    """The model that answered, as the provider names it."""
    usage: TokenUsage = Field(default_factory=TokenUsage)
    response_id: str | None = None
    cost_usd: float = 0.0
    """Filled in by the Model wrapper from its price table."""
    cached: bool = False
    """True when the answer came from the on-disk cache or the run's call ledger, not a call."""
