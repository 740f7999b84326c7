"""OpenAI chat JSONL: ``{"messages": [...]}`` per line (fine-tuning files and chat logs).

Each record is one session: its ``messages`` (``system``/``developer``, ``user``,
``assistant`` with ``tool_calls``, ``tool``), and when the record is a whole chat completion
with its request (``messages`` beside ``choices``), the first choice's message as the last turn.
The session id is the record's ``session_id``, ``conversation_id`` or ``id`` (or the same under
``metadata``), else ``<file stem>-<line>``; the domain is ``domain`` or ``metadata.domain``.
``tools`` definitions are kept as ``metadata.tools`` (their names).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tutorloop.load.importers.assemble import Part
from tutorloop.load.importers.base import Importer, Record
from tutorloop.load.importers.messages import (
    Fault,
    dig,
    first_text,
    openai_message,
    openai_messages,
)


class OpenAIChat(Importer):
    """OpenAI chat messages, one conversation per record."""

    name = "openai-chat"
    title = "OpenAI chat"

    def sniff(self, data: Any) -> bool:
        """A record with ``messages`` and no session ``trajectory``."""
        return (
            isinstance(data, dict)
            and "messages" in data
            and "trajectory" not in data
            and data.get("object") != "chat.completion"
        )

    def parts(self, record: Record, state: dict[str, Any]) -> Iterable[Part]:
        """One standalone part: the record's conversation."""
        data = record.data
        messages, faults = openai_messages(data["messages"], record.at("messages"))
        choice = dig(data, "choices")
        if isinstance(choice, list) and choice:
            reply = openai_message(dig(choice[0], "message"), record.at("choices.0.message"))
            if isinstance(reply, Fault):
                faults.append(reply)
            else:
                messages.append(reply)
        metadata = dict(data["metadata"]) if isinstance(data.get("metadata"), dict) else {}
        tools = [dig(t, "function", "name") or dig(t, "name") for t in data.get("tools") or []]
        if tools:
            metadata["tools"] = tools
        if isinstance(data.get("model"), str):
            metadata.setdefault("model", data["model"])
        yield Part(
            messages,
            record.line,
            session_id=session_id_of(data),
            domain=first_text(data.get("domain"), dig(data, "metadata", "domain")),
            metadata=metadata,
            faults=faults,
        )


def session_id_of(data: dict[str, Any]) -> str | None:
    """The session id a chat record names, if any."""
    meta = data.get("metadata")
    return first_text(
        data.get("session_id"),
        data.get("conversation_id"),
        dig(meta, "session_id"),
        dig(meta, "conversation_id"),
        dig(meta, "thread_id"),
        data.get("id"),
    )
