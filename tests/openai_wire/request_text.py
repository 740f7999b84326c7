"""Reading text out of request bodies, and the server's word-based token counting.

A "token" is a whitespace-separated word (:func:`count_words`). Input tokens are the words of
every message / input item and of ``instructions`` (:func:`prompt_words`). When no reply is
scripted, a :data:`Responder` computes the reply text (:func:`default_responder`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

__all__ = [
    "Responder",
    "count_words",
    "default_responder",
    "last_user_text",
    "message_text",
    "prompt_words",
]

Responder = Callable[[dict[str, Any]], str]
"""Computes the reply text from the parsed JSON request body (chat or responses shape)."""


def count_words(text: str) -> int:
    """The server's token count: the number of whitespace-separated words in ``text``."""
    return len(text.split())


def message_text(content: Any) -> str:
    """The text of a message ``content``: a string, or a list of parts that carry ``text``.

    Parts such as ``{"type": "text", "text": ...}`` (chat) or ``{"type": "input_text",
    "text": ...}`` (responses) are joined with single spaces; anything else counts as empty.
    """
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(
            part["text"]
            for part in content
            if isinstance(part, dict) and isinstance(part.get("text"), str)
        )
    return ""


def prompt_words(body: Mapping[str, Any]) -> int:
    """Input-token count of a chat (``messages``) or responses (``input``) request body."""
    total = 0
    for key in ("messages", "input"):
        items = body.get(key)
        if isinstance(items, str):
            total += count_words(items)
        elif isinstance(items, list):
            total += sum(
                count_words(message_text(item.get("content")))
                for item in items
                if isinstance(item, dict)
            )
    instructions = body.get("instructions")
    if isinstance(instructions, str):
        total += count_words(instructions)
    return total


def last_user_text(body: Mapping[str, Any]) -> str:
    """The text of the last user message of a chat or responses request body ("" if none)."""
    items = body.get("messages", body.get("input"))
    if isinstance(items, str):
        return items
    if isinstance(items, list):
        for item in reversed(items):
            if isinstance(item, dict) and item.get("role") == "user":
                return message_text(item.get("content"))
    return ""


def default_responder(body: dict[str, Any]) -> str:
    """The default reply: ``"reply to: "`` + the first 60 characters of the last user text."""
    return f"reply to: {last_user_text(body)[:60]}"
