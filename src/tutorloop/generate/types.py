"""What a model is asked and what it answers: provider-neutral request and response records."""

from __future__ import annotations

import hashlib
import json
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MessageRole = Literal["system", "developer", "user", "assistant"]


class Message(BaseModel):
    """One chat message sent to a model."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    role: MessageRole
    content: str


class Purpose(StrEnum):
    """What a request is for: the stages that build model requests tag them with one of these.

    A tag travels beside the request (:attr:`GenerateRequest.purpose`), never to the provider.
    The ``sim`` simulator answers a tagged request with the script registered for its purpose;
    plug-ins and tests may use their own purposes too (any string).
    """

    SESSION_JUDGE = "judge.session"
    """The structured session judge (``grade/judge``)."""
    SCORE_MODEL = "grader.score_model"
    """A ``score_model`` grader (and the graders built on it)."""
    LABEL_MODEL = "grader.label_model"
    """A ``label_model`` grader (and the graders built on it, such as the turn judge)."""
    ALIGN_JUDGE = "align.judge"
    """The alignment benchmark's judge."""
    ALIGN_CANDIDATE = "align.candidate"
    """An alignment benchmark candidate answering a conversation."""
    REFUSAL_CLASSIFIER = "refusal.classifier"
    """The refusal smoke test's ALLOW/REFUSE classifier."""
    TUTOR = "replay.tutor"
    """A tutor's next turn in a replayed session."""
    LEARNER = "replay.learner"
    """A simulated learner's next turn in a free-running replay."""


class GenerateRequest(BaseModel):
    """A request to one model: messages plus sampling settings.

    ``purpose`` and ``context`` describe the request for code that answers it without a model
    (the ``sim`` simulator, test doubles); they are excluded from serialisation, so they never
    reach a provider's wire and never change :meth:`fingerprint`.
    """

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
    purpose: str | None = Field(default=None, exclude=True)
    """What the request is for (a :class:`Purpose`, or a plug-in's own tag); None: untagged."""
    context: dict[str, Any] | None = Field(default=None, exclude=True)
    """The structured (JSON-like) input of the stage that built the request, for ``purpose``."""

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
    cost_usd: float | None = 0.0
    """Filled in by the Model wrapper from its price table; None when the price is unknown."""
    cached: bool = False
    """True when the answer came from the on-disk cache or the run's call ledger, not a call."""
