"""Reading a model grader's reply as the hosted grader reads its structured reply.

A server that honours ``response_format`` replies ``{"steps": [...], "result": <score | label>}``.
A server that ignores it (a local model, a gateway, an OpenAI-compatible proxy) replies what
the prompt asked for: ``1`` to "Score 1 if correct, 0 if incorrect", ``correct`` to a label
question, or the JSON inside a Markdown code fence. :func:`read_reply` reads, in order:

1. the reply as JSON: an object with ``result`` (its ``steps`` become the reason), or a bare
   JSON number or quoted number (scores) or string (labels);
2. the same inside the first code fence (```` ```json ... ``` ````, any language tag or none);
3. a bare number (``1``, ``0.5``, ``-2``, optionally quoted, bold or ending in a full stop) for
   scores, or a bare label (the same decorations, matched case-insensitively and returned as
   the label is spelled in ``labels``) for labels.

Anything else raises :class:`UnreadableReply`, whose message keeps the raw reply (scrubbed by
the grader), so a reviewer can see what the model said. Range and label membership are checked
by the grader afterwards, as for a structured reply.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

__all__ = ["RAW_REPLY_CHARS", "UnreadableReply", "read_reply"]

RAW_REPLY_CHARS = 4000
"""How much of an unreadable reply its error message keeps."""

_FENCE = re.compile(r"```[A-Za-z0-9_+-]*[ \t]*\n?(.*?)```", re.DOTALL)
_NUMBER = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")
_DECORATION = "`*\"' \t\r\n"


class UnreadableReply(ValueError):
    """The reply is neither the structured shape, a bare value, nor either in a code fence."""


def read_reply(text: str, labels: Sequence[str] | None = None) -> tuple[Any, str]:
    """``(result, reason)`` of a grader model's reply; ``labels`` given: a label is expected.

    Raises:
        UnreadableReply: nothing in the reply can be read; the message holds the raw reply.
    """
    candidates = [text.strip()]
    fenced = _FENCE.search(text)
    if fenced is not None:
        candidates.append(fenced.group(1).strip())
    missing_result = False
    for candidate in candidates:
        try:
            answer = json.loads(candidate)
        except ValueError:
            answer = _bare(candidate, labels)
            if answer is not None:
                return answer, ""
            continue
        if isinstance(answer, dict):
            if "result" in answer:
                return answer["result"], _reason(answer.get("steps"))
            missing_result = True
            continue
        if labels is None and isinstance(answer, int | float) and not isinstance(answer, bool):
            return answer, ""
        if labels is not None and isinstance(answer, str):
            return _label(answer, labels) or answer, ""
        if isinstance(answer, str) and (number := _bare(answer, None)) is not None:
            return number, ""  # a quoted number
    raw = text if len(text) <= RAW_REPLY_CHARS else text[:RAW_REPLY_CHARS] + "…"
    wanted = "a label" if labels is not None else "a number"
    if missing_result:
        raise UnreadableReply(f"the model's reply has no 'result'; the raw reply: {raw!r}")
    raise UnreadableReply(
        f"the model's reply is not JSON with a 'result', {wanted}, or either in a code "
        f"fence; the raw reply: {raw!r}"
    )


def _bare(candidate: str, labels: Sequence[str] | None) -> Any:
    """A bare number (no ``labels``) or label in ``candidate``, else None."""
    core = candidate.strip(_DECORATION).removesuffix(".").strip(_DECORATION)
    if not core:
        return None
    if labels is not None:
        return _label(core, labels)
    return float(core) if _NUMBER.fullmatch(core) else None


def _label(text: str, labels: Sequence[str]) -> str | None:
    wanted = text.strip(_DECORATION).removesuffix(".").strip(_DECORATION).casefold()
    return next((label for label in labels if label.casefold() == wanted), None)


def _reason(steps: Any) -> str:
    if not isinstance(steps, list):
        return ""
    return "; ".join(
        str(s.get("conclusion") or s.get("description") or "") for s in steps if isinstance(s, dict)
    )
