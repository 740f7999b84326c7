"""OpenAI Responses objects and stored chat completions, as exported from the API.

- A **Response** (``"object": "response"``): its ``instructions`` (a system message), its input
  (``input``: a string or a list of items, or ``input_items``: the items, or their list page from
  ``GET /v1/responses/{id}/input_items?order=asc``) and its ``output`` items. Message items are
  turns; ``function_call``/``function_call_output``, ``reasoning`` and built-in tool items are kept
  as metadata. Responses are grouped by ``conversation`` id, else by following
  ``previous_response_id`` back to the first response of its chain (in any order in the file);
  a group's responses are joined in ``created_at`` order (each holds only what is new). Responses
  sharing a ``metadata.session_id`` but no chain each carry the whole history: the longest wins.
- A **stored chat completion** (``"object": "chat.completion"``, from ``GET /v1/chat/completions``)
  with its request messages under ``messages`` (from ``GET /v1/chat/completions/{id}/messages``,
  oldest first) and the first choice's message as the reply; completions sharing a
  ``metadata.session_id`` are one session, the longest history wins.

Responses are held per conversation until the end of the file (a chain can continue anywhere).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable
from typing import Any

from tutorloop.load.importers.assemble import Part
from tutorloop.load.importers.base import Importer, Record, is_list_page
from tutorloop.load.importers.messages import (
    Fault,
    Message,
    checked,
    dig,
    first_text,
    openai_message,
    openai_messages,
    role_of,
    text_of,
)
from tutorloop.load.importers.openai_chat import session_id_of

_NO_MESSAGES = (
    "fetch them with GET /v1/chat/completions/{id}/messages (oldest first) and put them "
    "under 'messages' in the completion"
)


class OpenAIResponses(Importer):
    """Responses API objects and stored chat completions."""

    name = "openai-responses"
    title = "OpenAI Responses or stored completion"

    def sniff(self, data: Any) -> bool:
        """A ``response`` or ``chat.completion`` object."""
        if not isinstance(data, dict):
            return False
        if data.get("object") in ("response", "chat.completion"):
            return True
        rid = data.get("id")
        return isinstance(rid, str) and rid.startswith("resp_") and "output" in data

    def parts(self, record: Record, state: dict[str, Any]) -> Iterable[Part]:
        """One part per object, grouped as the module's docstring says."""
        data = record.data
        if data.get("object") == "chat.completion":
            yield _completion(record)
        else:
            yield _response(record, state.setdefault("roots", {}))


def _completion(record: Record) -> Part:
    data = record.data
    raw = data.get("messages", data.get("input_messages", dig(data, "request", "messages")))
    faults: list[Fault] = []
    messages: list[Message] = []
    if raw is None:
        faults.append(Fault(record.at("messages"), "a stored completion without its input messages",
                            _NO_MESSAGES))  # fmt: skip
    else:
        if isinstance(raw, dict) and is_list_page(raw):
            raw = raw["data"]
        messages, faults = openai_messages(raw, record.at("messages"))
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices:
        faults.append(Fault(record.at("choices"), "a completion without choices"))
    else:
        reply = openai_message(dig(choices[0], "message"), record.at("choices.0.message"))
        if isinstance(reply, Fault):
            faults.append(reply)
        else:
            messages.append(reply)
    group = session_id_of({"metadata": data.get("metadata")})
    return Part(
        messages,
        record.line,
        group=group,
        order=data.get("created"),
        session_id=group or first_text(data.get("id")),
        domain=first_text(dig(data, "metadata", "domain")),
        metadata=_meta(data),
        faults=faults,
    )


def _response(record: Record, roots: dict[str, str]) -> Part:
    data = record.data
    messages: list[Message] = []
    faults: list[Fault] = []
    instructions = data.get("instructions")
    if isinstance(instructions, str) and instructions.strip():
        messages.append(Message("system", instructions))
    raw_input = data.get("input", data.get("input_items"))
    if isinstance(raw_input, dict) and is_list_page(raw_input):
        raw_input = raw_input["data"]
    name = "input" if "input" in data else "input_items"
    if isinstance(raw_input, str):
        messages.append(Message("user", raw_input))
    elif raw_input is not None:
        _items(raw_input, record.at(name), messages, faults)
    output = data.get("output")
    if output is None:
        faults.append(Fault(record.at("output"), "missing required field"))
    else:
        _items(output, record.at("output"), messages, faults)
    rid = first_text(data.get("id"))
    conversation = data.get("conversation")
    conversation_id = first_text(dig(conversation, "id"), conversation)
    previous = first_text(data.get("previous_response_id"))
    session = session_id_of({"metadata": data.get("metadata")})
    chained = True
    if conversation_id:
        group = conversation_id
    elif previous:
        group = roots.get(previous, previous)
    elif session:
        group, chained = session, False
    else:
        group = rid or f"line-{record.line}"
    if rid:
        roots[rid] = group
    return Part(
        messages,
        record.line,
        group=group,
        order=data.get("created_at"),
        chained=chained,
        session_id=session or conversation_id or group,
        domain=first_text(dig(data, "metadata", "domain")),
        metadata=_meta(data),
        faults=faults,
        absorbs=rid if chained else None,
    )


def _items(raw: Any, where: str, messages: list[Message], faults: list[Fault]) -> None:
    if not isinstance(raw, list):
        faults.append(Fault(where, f"must be a list of items, found {type(raw).__name__}"))
        return
    for index, item in enumerate(raw):
        read = _item(item, f"{where}.{index}")
        if isinstance(read, Fault):
            faults.append(read)
        elif read is not None:
            messages.append(read)


def _item(item: Any, where: str) -> Message | Fault | None:
    if not isinstance(item, dict):
        return Fault(where, f"an item must be an object, found {type(item).__name__}")
    kind = item.get("type", "message" if "role" in item else None)
    if kind == "message":
        role = role_of(item.get("role"), f"{where}.role")
        if isinstance(role, Fault):
            return role
        extra: dict[str, Any] = {}
        text = text_of(item.get("content"), f"{where}.content", extra)
        if isinstance(text, Fault):
            return text
        return checked(Message(role, text, extra), where)
    if kind in ("function_call", "custom_tool_call"):
        arguments = item.get("arguments", item.get("input"))
        if isinstance(arguments, str):
            with contextlib.suppress(ValueError):
                arguments = json.loads(arguments)
        call = {"id": item.get("call_id"), "name": item.get("name"), "arguments": arguments}
        return Message("assistant", "", {"tool_calls": [call]})
    if kind in ("function_call_output", "custom_tool_call_output"):
        output = item.get("output")
        text = output if isinstance(output, str) else json.dumps(output, ensure_ascii=False)
        return Message("tool", text, {"tool_call_id": item.get("call_id")})
    if not isinstance(kind, str):
        return Fault(f"{where}.type", "an item without a type", "Responses items name their type")
    return Message("assistant", "", {"parts": [item]})  # reasoning, built-in tool calls


def _meta(data: dict[str, Any]) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    if isinstance(data.get("metadata"), dict):
        meta.update(data["metadata"])
    if isinstance(data.get("model"), str):
        meta["model"] = data["model"]
    return meta
