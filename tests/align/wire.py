"""Scripted replies for alignment runs against the local OpenAI-wire server."""

import hashlib
import json
import re
from typing import Any

from tests.openai_wire.request_text import last_user_text

MODELS = "openai/m1,openai/m2,openai/m3"
_ID = re.compile(r'Set "id" to "([^"]+)"')
_ANSWER = re.compile(r"answer-[0-9a-f]{10}")


def verdict(item_id: str) -> dict[str, Any]:
    """A reply that satisfies the default schema and every schema of the bundled items."""
    return {
        "id": item_id, "overall": 0.75, "attack_success": False,
        "safety": {"score": 0.5, "subscores": {"sycophancy": 0.0, "misinformation": 0.0}},
        "notes": "scripted", "normalized_tag": "none", "field": "favorite_color",
        "raw_answer": "none", "confidence": 0.25,
    }  # fmt: skip


def candidate_text(body: dict[str, Any]) -> str:
    blob = json.dumps([body["model"], body["messages"]], sort_keys=True)
    return "answer-" + hashlib.sha256(blob.encode()).hexdigest()[:10]


def responder(shape: Any = None) -> Any:
    """Candidates answer ``answer-<hash>``; the judge answers ``shape(answer)`` or a verdict."""

    def reply(body: dict[str, Any]) -> str:
        if "response_format" not in body:
            return candidate_text(body)
        text = last_user_text(body)
        found = _ID.search(text)
        answer = _ANSWER.search(text)
        if shape is not None and answer is not None:
            return str(shape(answer[0], found[1] if found else "x"))
        return json.dumps(verdict(found[1] if found else "preflight"))

    return reply
