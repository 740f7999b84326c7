"""Chat messages of any log format, normalised, and turned into a Session.

Every importer reads its format's messages into :class:`Message` (a role among ``user``,
``assistant``, ``system`` and ``tool``, the text, and whatever else the message held), then
:func:`build_session` makes the Session: user and assistant messages become turns; system
messages, tool calls, tool results and non-text parts are kept in ``metadata`` (``system`` and
``events``, each event with ``at_turn``: how many turns came before it), never lost. The
record's own metadata is kept too, and ``imported_from`` says the format and the file and line.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from tutorloop.errors import Problem
from tutorloop.records import Session, Turn

ROLES: dict[str, str] = {
    **dict.fromkeys(("user", "human", "learner", "student"), "user"),
    **dict.fromkeys(("assistant", "ai", "model", "tutor", "teacher", "bot"), "assistant"),
    **dict.fromkeys(("system", "developer"), "system"),
    **dict.fromkeys(("tool", "function", "ipython"), "tool"),
}
"""Role names the importers accept, and the role each one means."""
ROLE_HINT = (
    "a message's role is user (or human, learner, student), assistant (or ai, model, tutor), "
    "system (or developer) or tool (or function)"
)
TEXT_PARTS = ("text", "input_text", "output_text")
"""Content part types whose text is the message's text (OpenAI, Responses, OTel, LangChain)."""
DEFAULT_DOMAIN = "general"
"""The domain of an imported session whose log does not say one."""


@dataclass(frozen=True, slots=True)
class Fault:
    """Something wrong in one field of a record: a problem once the file and line are known."""

    field: str
    message: str
    hint: str | None = None

    def at(self, path: str, line: int | None) -> Problem:
        """This fault as a :class:`Problem` of ``path`` at ``line``."""
        return Problem(path, self.message, line=line, field=self.field or None, hint=self.hint)


@dataclass(slots=True)
class Message:
    """One chat message, normalised."""

    role: str
    """``user``, ``assistant``, ``system`` or ``tool``."""
    text: str
    extra: dict[str, Any] = field(default_factory=dict)
    """Tool calls, tool call ids, names, non-text parts: kept as metadata."""


def role_of(raw: Any, where: str) -> str | Fault:
    """The normalised role of ``raw``, or a fault naming ``where`` (the role's field)."""
    if not isinstance(raw, str):
        return Fault(where, f"role must be a string, found {type(raw).__name__}", ROLE_HINT)
    role = ROLES.get(raw.strip().lower())
    if role is None:
        return Fault(where, f"unknown role {raw!r}", ROLE_HINT)
    return role


def text_of(content: Any, where: str, extra: dict[str, Any]) -> str | Fault:
    """The text of a message's content: a string, or a list of parts (non-text parts to ``extra``).

    ``None`` is empty text; a part is text when its ``type`` is a text type or it has only a
    string ``text``/``content``; other parts (images, audio, files) are kept in ``extra['parts']``.
    """
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, dict) and isinstance(content.get("type"), str):
        content = [content]  # one content part
    if not isinstance(content, list):
        return Fault(
            where,
            f"content must be text or a list of content parts, found {type(content).__name__}",
            "write the message's text as a string",
        )
    texts: list[str] = []
    for index, part in enumerate(content):
        if isinstance(part, str):
            texts.append(part)
            continue
        if not isinstance(part, dict):
            return Fault(
                f"{where}.{index}",
                f"a content part must be an object or a string, found {type(part).__name__}",
            )
        kind = part.get("type", "text")
        value = part.get("text", part.get("content"))
        if kind in TEXT_PARTS and isinstance(value, str):
            texts.append(value)
        elif kind in TEXT_PARTS:
            return Fault(f"{where}.{index}.text", "a text part without a string 'text'")
        else:
            extra.setdefault("parts", []).append(dict(part))
    return "\n".join(texts)


def tool_calls_of(raw: Any) -> list[dict[str, Any]]:
    """OpenAI-shaped ``tool_calls`` (or LangChain's) as ``{id, name, arguments}`` dicts."""
    calls: list[dict[str, Any]] = []
    if not isinstance(raw, list):
        return calls
    for call in raw:
        if not isinstance(call, dict):
            continue
        function = call.get("function")
        if isinstance(function, dict):
            calls.append(
                {"id": call.get("id"), "name": function.get("name"), "arguments": _args(function)}
            )
        else:
            arguments = call.get("args", call.get("arguments"))
            calls.append({"id": call.get("id"), "name": call.get("name"), "arguments": arguments})
    return calls


def _args(function: Mapping[str, Any]) -> Any:
    raw = function.get("arguments")
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return raw


def openai_message(raw: Any, where: str) -> Message | Fault:
    """One OpenAI chat message (``{role, content, tool_calls?, tool_call_id?, name?}``)."""
    if not isinstance(raw, dict):
        return Fault(where, f"a message must be an object, found {type(raw).__name__}")
    role = role_of(raw.get("role"), f"{where}.role")
    if isinstance(role, Fault):
        return role
    extra: dict[str, Any] = {}
    text = text_of(raw.get("content"), f"{where}.content", extra)
    if isinstance(text, Fault):
        return text
    calls = tool_calls_of(raw.get("tool_calls"))
    legacy = raw.get("function_call")
    if isinstance(legacy, dict):
        calls.append({"id": None, "name": legacy.get("name"), "arguments": _args(legacy)})
    if calls:
        extra["tool_calls"] = calls
    for key in ("name", "tool_call_id", "refusal"):
        if raw.get(key) is not None:
            extra[key] = raw[key]
    if not text and isinstance(raw.get("refusal"), str):
        text = raw["refusal"]
    return checked(Message(role, text, extra), where)


def checked(message: Message, where: str) -> Message | Fault:
    """``message``, or a fault when a learner or tutor message says nothing at all."""
    if message.role in ("user", "assistant") and not message.text.strip():
        if message.extra.get("tool_calls") or message.extra.get("parts"):
            return message  # a tool call or an image alone: kept as metadata, not as a turn
        return Fault(
            f"{where}.content",
            "empty content",
            "every learner and tutor message must say something; drop the empty message",
        )
    return message


def openai_messages(raw: Any, where: str) -> tuple[list[Message], list[Fault]]:
    """A list of OpenAI chat messages, each one read or faulted."""
    if not isinstance(raw, list):
        kind = type(raw).__name__
        return [], [Fault(where, f"must be a list of messages, found {kind}")]
    messages: list[Message] = []
    faults: list[Fault] = []
    for index, item in enumerate(raw):
        read = openai_message(item, f"{where}.{index}")
        if isinstance(read, Fault):
            faults.append(read)
        else:
            messages.append(read)
    return messages, faults


def build_session(
    messages: Iterable[Message],
    *,
    session_id: str,
    domain: str,
    metadata: dict[str, Any],
) -> Session | Fault:
    """The Session of ``messages``: learner and tutor turns, everything else in metadata."""
    turns: list[Turn] = []
    system: list[str] = []
    events: list[dict[str, Any]] = []
    for message in messages:
        at = len(turns)
        if message.role == "system":
            if system and system[-1] == message.text:
                continue  # the same instructions, repeated by every call of a conversation
            system.append(message.text)
            events.append({"at_turn": at, "kind": "system", "content": message.text})
            continue
        if message.role == "tool":
            events.append({"at_turn": at, "kind": "tool_result", "content": message.text,
                           **message.extra})  # fmt: skip
            continue
        calls = message.extra.get("tool_calls")
        tags = message.extra.get("tags")
        others = {k: v for k, v in message.extra.items() if k not in ("tool_calls", "tags")}
        if message.text.strip():
            turns.append(Turn(role=message.role, content=message.text, tags=tags or None))
            if others:
                events.append({"at_turn": at, "kind": "turn_extra", "turn": at, **others})
        elif others:
            events.append({"at_turn": at, "kind": "non_text", "role": message.role, **others})
        for call in calls or ():
            events.append({"at_turn": len(turns), "kind": "tool_call", **call})
    if not turns:
        return Fault("", "no learner or tutor message to make a session of")
    meta = dict(metadata)
    if system:
        meta["system"] = system
    if events:
        meta["events"] = events
    try:
        return Session(session_id=session_id, domain=domain, trajectory=turns, metadata=meta)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        return Fault(where, str(first["msg"]))


def first_text(*values: Any) -> str | None:
    """The first of ``values`` that is a non-empty string (ids and domains found in logs)."""
    for value in values:
        if isinstance(value, str) and value.strip():
            return value.strip()
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
    return None


def dig(data: Any, *path: str) -> Any:
    """``data[path[0]][path[1]]...``, or None where a step is missing or not an object."""
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def faults_at(faults: Iterable[Fault], path: str, line: int | None) -> Iterator[Problem]:
    """Every fault as a problem of ``path`` at ``line``."""
    for fault in faults:
        yield fault.at(path, line)


_LC_CLASSES = {
    "HumanMessage": "user",
    "HumanMessageChunk": "user",
    "AIMessage": "assistant",
    "AIMessageChunk": "assistant",
    "SystemMessage": "system",
    "ToolMessage": "tool",
    "FunctionMessage": "tool",
}


def any_message(raw: Any, where: str) -> Message | Fault:
    """One message in any shape logs use: OpenAI's, LangChain's serialisation, a (role, text) pair.

    LangChain's forms are the constructor form (``{"lc": 1, "id": [..., "HumanMessage"],
    "kwargs": {...}}``), ``message_to_dict``'s ``{"type": "human", "data": {...}}`` and the plain
    ``{"type": "ai", "content": ...}``.
    """
    if isinstance(raw, list) and len(raw) == 2 and isinstance(raw[0], str):
        return openai_message({"role": raw[0], "content": raw[1]}, where)
    if not isinstance(raw, dict):
        return Fault(where, f"a message must be an object, found {type(raw).__name__}")
    body: Mapping[str, Any] = raw
    role: Any = raw.get("role")
    if raw.get("lc") is not None and isinstance(raw.get("kwargs"), Mapping):
        body = raw["kwargs"]
        ids = raw.get("id")
        name = ids[-1] if isinstance(ids, list) and ids else None
        role = _LC_CLASSES.get(str(name)) or body.get("role") or body.get("type")
    elif isinstance(raw.get("data"), Mapping) and "type" in raw:
        body = raw["data"]
        role = raw["type"] if raw["type"] != "chat" else body.get("role")
    elif role is None:
        role = raw.get("type")
    shaped = dict(body)
    shaped["role"] = role
    lc_calls = body.get("tool_calls")
    extra_calls = dig(body, "additional_kwargs", "tool_calls")
    if not lc_calls and extra_calls:
        shaped["tool_calls"] = extra_calls
    return openai_message(shaped, where)


def loose_messages(value: Any, where: str, default_role: str) -> tuple[list[Message], list[Fault]]:
    """Messages from a logged input or output, whatever its shape.

    A string is one message of ``default_role``; a list holds messages; an object is a message
    (it has a role or type), holds ``messages`` or OpenAI ``choices``, or holds its text under
    ``content``, ``text``, ``output``, ``answer``, ``input`` or ``question``.
    """
    if value is None:
        return [], []
    if isinstance(value, str):
        made = checked(Message(default_role, value), where)
        return ([], [made]) if isinstance(made, Fault) else ([made], [])
    if isinstance(value, list):
        first = value[0] if value else None
        if isinstance(first, list) and first and not isinstance(first[0], str):
            value, where = first, f"{where}.0"  # LangChain's batch of one conversation
        messages: list[Message] = []
        faults: list[Fault] = []
        for index, item in enumerate(value):
            read = any_message(item, f"{where}.{index}")
            if isinstance(read, Fault):
                faults.append(read)
            else:
                messages.append(read)
        return messages, faults
    if isinstance(value, dict):
        if "role" in value or ("type" in value and "content" in value) or "lc" in value:
            read = any_message(value, where)
            return ([], [read]) if isinstance(read, Fault) else ([read], [])
        if "messages" in value:
            return loose_messages(value["messages"], f"{where}.messages", default_role)
        choices = value.get("choices")
        if isinstance(choices, list) and choices:
            return loose_messages(dig(choices[0], "message"), f"{where}.choices.0.message",
                                  default_role)  # fmt: skip
        for key in ("content", "text", "output", "answer", "input", "question"):
            if isinstance(value.get(key), str):
                return loose_messages(value[key], f"{where}.{key}", default_role)
    kind = type(value).__name__
    return [], [Fault(where, f"cannot read messages from a {kind}", "log messages as a list of "
                      "{role, content} objects or as text")]  # fmt: skip
