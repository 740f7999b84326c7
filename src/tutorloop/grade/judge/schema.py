"""What the judge model must return: :class:`JudgeReply`, its strict JSON Schema and a validator.

The schema sent as ``response_format`` is derived from the pydantic model and made
strict-mode compatible (OpenAI structured outputs): every property is required, every object has
``additionalProperties: false``, optional fields are nullable instead of absent, references are
inlined, and only keywords of the strictest common subset are kept (no ``default``, ``title``,
numeric or length bounds: those are stated in ``description`` and enforced by
:func:`validate_reply`, which also checks what a schema cannot say, such as "each of the seven
checks exactly once").
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails

from tutorloop.records import STUDY_MODE_CHECKS, StudyModeCheckName

CheckName = StudyModeCheckName
CHECK_NAMES: tuple[str, ...] = STUDY_MODE_CHECKS
"""The seven checks, in the prompt's order."""

_STRICT_KEYWORDS = frozenset(
    {"type", "properties", "required", "additionalProperties", "items", "enum", "anyOf"}
)
"""JSON Schema keywords kept in the strict schema (``description`` is kept too)."""


class JudgeCheck(BaseModel):
    """One check as the judge model returns it."""

    model_config = ConfigDict(extra="forbid")

    name: CheckName = Field(description="One of the seven Study Mode checks.")
    passed: bool
    reason: str = Field(description="One short sentence: why the check passed or failed.")
    evidence_snippet: str | None = Field(
        default=None, description="A verbatim quote of at most 200 characters, or null."
    )
    confidence: float = Field(ge=0.0, le=1.0, description="From 0 to 1.")


class JudgeReply(BaseModel):
    """Exactly the fields the judge model must return (nothing the caller adds later)."""

    model_config = ConfigDict(extra="forbid")

    session_id: str
    pedagogical_fidelity_score: float = Field(
        ge=0.0, le=1.0, description="Passed checks divided by 7, from 0 to 1."
    )
    escalate: bool
    checks: list[JudgeCheck] = Field(description="The seven checks, each exactly once.")
    notes: str | None = Field(default=None, description="A note for a human reviewer, or null.")


class JudgeReplyInvalid(ValueError):
    """A judge reply that cannot be used; ``problems`` lists why, one short line each."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


def _strict(node: Any, defs: dict[str, Any]) -> Any:
    """``node`` with refs inlined, unsupported keywords dropped and objects closed."""
    if isinstance(node, list):
        return [_strict(x, defs) for x in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target = defs[node["$ref"].rsplit("/", 1)[-1]]
        merged = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        return _strict(merged, defs)
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "properties":
            out[key] = {name: _strict(sub, defs) for name, sub in value.items()}
        elif key in ("items", "anyOf"):
            out[key] = _strict(value, defs)
        elif key in _STRICT_KEYWORDS or key == "description":
            out[key] = value
    if out.get("type") == "object" or "properties" in out:
        out["type"] = "object"
        out["required"] = list(out.get("properties", {}))
        out["additionalProperties"] = False
    return out


def judge_json_schema() -> dict[str, Any]:
    """The strict-mode JSON Schema of :class:`JudgeReply`."""
    raw = JudgeReply.model_json_schema()
    defs = raw.pop("$defs", {})
    schema: dict[str, Any] = _strict(raw, defs)
    return schema


def judge_response_format() -> dict[str, Any]:
    """The Chat Completions ``response_format`` asking for a :class:`JudgeReply`."""
    return {
        "type": "json_schema",
        "json_schema": {"name": "eval_result", "strict": True, "schema": judge_json_schema()},
    }


_TYPE_WORDS = {
    "bool_type": "a boolean",
    "bool_parsing": "a boolean",
    "string_type": "a string",
    "float_type": "a number",
    "float_parsing": "a number",
    "list_type": "a list",
    "model_type": "an object",
    "dict_type": "an object",
}


def _where(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "the reply"


def _problem(error: ErrorDetails) -> str:
    loc, kind, value = tuple(error["loc"]), error["type"], error.get("input")
    where = _where(loc)
    if kind == "missing":
        return f"missing field '{where}'"
    if kind == "extra_forbidden":
        return f"unknown field '{where}'"
    if kind == "literal_error" and loc[-1:] == ("name",):
        return f"{where}: unknown check {value!r}"
    if kind in ("greater_than_equal", "less_than_equal"):
        return f"{where} is {value!r}, outside [0, 1]"
    expected = _TYPE_WORDS.get(kind)
    if expected:
        return f"{where} must be {expected}, not {type(value).__name__} {str(value)[:40]!r}"
    return f"{where}: {error['msg']}"


def _check_names(data: dict[str, Any]) -> list[str]:
    checks = data.get("checks")
    if not isinstance(checks, list):
        return []
    names = [c.get("name") for c in checks if isinstance(c, dict)]
    counts = Counter(n for n in names if isinstance(n, str))
    problems = [f"check {n!r} appears {k} times" for n, k in counts.items() if k > 1]
    missing = [n for n in CHECK_NAMES if n not in counts]
    if missing:
        problems.append(f"missing checks: {', '.join(missing)}")
    return problems


def validate_reply(text: str) -> JudgeReply:
    """The judge model's reply parsed and checked as a :class:`JudgeReply`.

    Raises:
        JudgeReplyInvalid: the reply is not one JSON object of the right shape; its
            ``problems`` say what is wrong (not JSON, missing or unknown fields, wrong types,
            unknown, repeated or missing checks, a score or confidence outside [0, 1]).
    """
    stripped = text.strip()
    try:
        data = json.loads(stripped)
    except ValueError as exc:
        hint = " (it is wrapped in a ``` code fence)" if stripped.startswith("```") else ""
        raise JudgeReplyInvalid([f"not JSON{hint}: {exc}"]) from None
    if not isinstance(data, dict):
        raise JudgeReplyInvalid([f"not a JSON object but a {type(data).__name__}"])
    problems: list[str] = []
    reply: JudgeReply | None = None
    try:
        reply = JudgeReply.model_validate(data, strict=True)
    except ValidationError as exc:
        problems.extend(_problem(e) for e in exc.errors(include_url=False))
    problems.extend(_check_names(data))
    if problems or reply is None:
        raise JudgeReplyInvalid(list(dict.fromkeys(problems)))
    return reply
