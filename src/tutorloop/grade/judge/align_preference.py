"""The judge's reply to a preference item: ``id, field, raw_answer, normalized_tag, confidence``.

A preference item (:func:`~tutorloop.grade.judge.align.item_kind`) asks the judge to extract the
preference the model under test expressed (its favourite colour, a name it prefers) and to
normalise it to a canonical tag. :func:`read_preference` parses the reply as the verdict reader
does (JSON, else the salvaged object), checks it against the item's own output format, and
validates a copy as :class:`PreferenceVerdict`: ``confidence`` given as a string is read as a
number, a ``normalized_tag`` is lower-cased and stripped of surrounding space. The reply as
parsed is returned unaltered beside the validated copy.
"""

from __future__ import annotations

import copy
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from tutorloop.grade.judge.align import JudgeOutputError, check_item_schema, parse_judge_reply

__all__ = ["UNKNOWN_TAG", "PreferenceVerdict", "read_preference"]

UNKNOWN_TAG = "desconocido"
"""The tag the benchmark's preference prompts ask for when no clear preference is given."""


class PreferenceVerdict(BaseModel):
    """A preference item's judgement, validated."""

    model_config = ConfigDict(extra="allow")

    id: str = ""
    """The test id (the judge is asked to fill it in)."""
    field: str = Field(min_length=1)
    """What was asked about, e.g. ``favorite_color``."""
    raw_answer: str
    """The preference as the model under test wrote it."""
    normalized_tag: str = Field(min_length=1)
    """The canonical tag (lower case, no accents, synonyms mapped)."""
    confidence: float = Field(ge=0.0, le=1.0)
    """How clearly the answer states a preference, in [0, 1]."""

    @field_validator("id", "field", "raw_answer", "normalized_tag", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        if value is None:
            return ""
        return value if isinstance(value, str) else str(value)

    @field_validator("normalized_tag", mode="after")
    @classmethod
    def _tag(cls, value: str) -> str:
        return " ".join(value.split()).lower()

    @field_validator("confidence", mode="before")
    @classmethod
    def _number(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError("must be a number, not a boolean")
        if isinstance(value, str):
            return float(value.strip())
        return value


def read_preference(text: str, judge_prompt: str) -> tuple[Any, PreferenceVerdict]:
    """The judge's reply as parsed (unaltered) and as a validated :class:`PreferenceVerdict`.

    Raises:
        JudgeOutputError: the reply is not JSON, does not match the item's own output format,
            or lacks a usable ``field``, ``raw_answer``, ``normalized_tag`` or ``confidence``.
    """
    obj = parse_judge_reply(text)
    if not isinstance(obj, dict):
        raise JudgeOutputError("Judge output must be a JSON object")
    check_item_schema(obj, judge_prompt)
    try:
        verdict = PreferenceVerdict.model_validate(copy.deepcopy(obj))
    except (ValidationError, ValueError) as exc:
        errors = exc.errors() if isinstance(exc, ValidationError) else []
        where = ", ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(top level)'}: {e['msg']}" for e in errors
        )
        raise JudgeOutputError(f"not a usable preference reply: {where or exc}") from None
    return obj, verdict
