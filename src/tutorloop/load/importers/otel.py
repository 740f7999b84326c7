"""OpenTelemetry GenAI spans in OTLP JSON: ``resourceSpans → scopeSpans → spans``.

A record is an OTLP JSON export request (``{"resourceSpans": [...]}``: a ``.json`` file, or one per
line as the collector's file exporter writes) or one span object per line. Spans without
``gen_ai.*`` attributes or events are not read. A span's messages come from, in order of
preference, the GenAI semantic conventions' generations:

1. ``gen_ai.system_instructions``, ``gen_ai.input.messages`` and ``gen_ai.output.messages``
   (messages of ``{role, parts}``; text, ``tool_call`` and ``tool_call_response`` parts);
2. the per-message events ``gen_ai.system.message``, ``gen_ai.user.message``,
   ``gen_ai.assistant.message``, ``gen_ai.tool.message`` and ``gen_ai.choice``;
3. the oldest ``gen_ai.prompt``/``gen_ai.completion`` (a JSON message list, as an attribute or on
   the ``gen_ai.content.prompt``/``gen_ai.content.completion`` events, or flattened as
   ``gen_ai.prompt.0.role``/``.content``).

Spans are grouped by ``gen_ai.conversation.id``, else ``session.id``, else their trace; every
call repeats the history, so the longest history of a conversation (input plus output) wins.
A ``chat`` span with no message content is a problem: content capture was off when it was logged.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from tutorloop.load.importers.assemble import Part
from tutorloop.load.importers.base import Importer, Record
from tutorloop.load.importers.messages import (
    Fault,
    Message,
    checked,
    first_text,
    loose_messages,
    role_of,
)

_EVENT_ROLES = {
    "gen_ai.system.message": "system",
    "gen_ai.user.message": "user",
    "gen_ai.assistant.message": "assistant",
    "gen_ai.tool.message": "tool",
    "gen_ai.choice": "assistant",
}
_CHAT_OPERATIONS = ("chat", "text_completion", "generate_content")
_CAPTURE_HINT = (
    "the span was logged without message content; turn content capture on in the "
    "instrumentation (e.g. OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true)"
)


class OTel(Importer):
    """OTLP JSON spans following the GenAI semantic conventions."""

    name = "otel"
    title = "OpenTelemetry OTLP JSON"

    def sniff(self, data: Any) -> bool:
        """An export request (``resourceSpans``) or a span (``traceId`` and ``spanId``)."""
        return isinstance(data, dict) and (
            "resourceSpans" in data or ("traceId" in data and "spanId" in data)
        )

    def parts(self, record: Record, state: dict[str, Any]) -> Iterable[Part]:
        """One part per GenAI span."""
        data = record.data
        if "resourceSpans" not in data:
            if (part := _span(data, record, record.field, {})) is not None:
                yield part
            return
        for i, resource in enumerate(_list(data.get("resourceSpans"))):
            res = attributes(_get(resource, "resource", "attributes"))
            for j, scope in enumerate(_list(_get(resource, "scopeSpans"))):
                for k, span in enumerate(_list(_get(scope, "spans"))):
                    where = record.at(f"resourceSpans.{i}.scopeSpans.{j}.spans.{k}")
                    if (part := _span(span, record, where, res)) is not None:
                        yield part


def _span(span: Any, record: Record, where: str, resource: dict[str, Any]) -> Part | None:
    if not isinstance(span, dict):
        return Part([], record.line, faults=[Fault(where, "a span must be an object")])
    attrs = attributes(span.get("attributes"))
    events = [e for e in _list(span.get("events")) if isinstance(e, dict)]
    if not any(k.startswith("gen_ai.") for k in attrs) and not any(
        str(e.get("name", "")).startswith("gen_ai.") for e in events
    ):
        return None
    prefix = f"{where}." if where else ""
    messages, faults = _messages(attrs, events, prefix)
    operation = attrs.get("gen_ai.operation.name")
    if not messages and not faults:
        if operation not in _CHAT_OPERATIONS:
            return None
        faults = [Fault(f"{prefix}attributes", "a chat span without messages", _CAPTURE_HINT)]
    trace = first_text(span.get("traceId"))
    group = first_text(attrs.get("gen_ai.conversation.id"), attrs.get("session.id"), trace)
    start = span.get("startTimeUnixNano")
    metadata: dict[str, Any] = {"trace_id": trace}
    for key, name in (
        (
            "model",
            first_text(attrs.get("gen_ai.response.model"), attrs.get("gen_ai.request.model")),
        ),
        ("provider", first_text(attrs.get("gen_ai.provider.name"), attrs.get("gen_ai.system"))),
        ("service", first_text(resource.get("service.name"))),
    ):
        if name:
            metadata[key] = name
    return Part(
        messages,
        record.line,
        group=group or f"line-{record.line}",
        order=int(start) if isinstance(start, (int, str)) and str(start).isdigit() else start,
        session_id=group,
        domain=first_text(attrs.get("tutorloop.domain")),
        metadata=metadata,
        faults=faults,
    )


def _messages(
    attrs: dict[str, Any], events: list[dict[str, Any]], prefix: str
) -> tuple[list[Message], list[Fault]]:
    messages: list[Message] = []
    faults: list[Fault] = []
    where = f"{prefix}attributes"
    if "gen_ai.input.messages" in attrs or "gen_ai.output.messages" in attrs:
        system = _json(attrs.get("gen_ai.system_instructions"))
        if isinstance(system, list):
            text = "\n".join(str(p.get("content", "")) for p in system if isinstance(p, dict))
            if text.strip():
                messages.append(Message("system", text))
        for key in ("gen_ai.input.messages", "gen_ai.output.messages"):
            raw = _json(attrs.get(key))
            if raw is None:
                continue
            if not isinstance(raw, list):
                faults.append(Fault(f"{where}.{key}", "must be a JSON list of messages"))
                continue
            for index, item in enumerate(raw):
                read = semconv_message(item, f"{where}.{key}.{index}")
                (faults if isinstance(read, Fault) else messages).append(read)  # type: ignore[arg-type]
        return messages, faults
    if any(str(e.get("name")) in _EVENT_ROLES for e in events):
        for index, event in enumerate(events):
            role = _EVENT_ROLES.get(str(event.get("name")))
            if role is None:
                continue
            read = _event_message(event, role, f"{prefix}events.{index}")
            (faults if isinstance(read, Fault) else messages).append(read)  # type: ignore[arg-type]
        return messages, faults
    prompt, completion = attrs.get("gen_ai.prompt"), attrs.get("gen_ai.completion")
    for index, event in enumerate(events):
        found = attributes(event.get("attributes"))
        if event.get("name") == "gen_ai.content.prompt" and prompt is None:
            prompt, where = found.get("gen_ai.prompt"), f"{prefix}events.{index}.attributes"
        if event.get("name") == "gen_ai.content.completion" and completion is None:
            completion = found.get("gen_ai.completion")
    if prompt is None and completion is None:
        prompt, completion = _indexed(attrs, "gen_ai.prompt"), _indexed(attrs, "gen_ai.completion")
    for value, key, role in ((prompt, "gen_ai.prompt", "user"),
                             (completion, "gen_ai.completion", "assistant")):  # fmt: skip
        found_messages, found_faults = loose_messages(_json(value), f"{where}.{key}", role)
        messages += found_messages
        faults += found_faults
    return messages, faults


def semconv_message(raw: Any, where: str) -> Message | Fault:
    """One ``{role, parts}`` message of the GenAI semantic conventions."""
    if not isinstance(raw, dict):
        return Fault(where, f"a message must be an object, found {type(raw).__name__}")
    role = role_of(raw.get("role"), f"{where}.role")
    if isinstance(role, Fault):
        return role
    parts = raw.get("parts")
    if not isinstance(parts, list):
        return Fault(f"{where}.parts", f"must be a list of parts, found {type(parts).__name__}")
    texts: list[str] = []
    extra: dict[str, Any] = {}
    for part in parts:
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text" and isinstance(part.get("content"), str):
            texts.append(part["content"])
        elif kind == "tool_call":
            call = {"id": part.get("id"), "name": part.get("name"),
                    "arguments": part.get("arguments")}  # fmt: skip
            extra.setdefault("tool_calls", []).append(call)
        elif kind == "tool_call_response":
            response = part.get("response")
            texts.append(response if isinstance(response, str) else json.dumps(response))
            extra["tool_call_id"] = part.get("id")
        else:
            extra.setdefault("parts", []).append(part)
    return checked(Message(role, "\n".join(texts), extra), where)


def _event_message(event: Mapping[str, Any], role: str, where: str) -> Message | Fault:
    attrs = attributes(event.get("attributes"))
    body = attrs.get("message", _json(attrs.get("gen_ai.event.content")))
    body = _json(body) if isinstance(body, str) else body
    if isinstance(body, dict):
        shaped = {"role": body.get("role", attrs.get("role", role)), **body}
        shaped["role"] = shaped["role"] or role
    else:
        shaped = {"role": attrs.get("role", role), "content": attrs.get("content"),
                  "tool_calls": _json(attrs.get("tool_calls"))}  # fmt: skip
        if attrs.get("id") is not None and role == "tool":
            shaped["tool_call_id"] = attrs["id"]
    messages, faults = loose_messages(shaped, f"{where}.attributes", role)
    return faults[0] if faults else messages[0]


def _indexed(attrs: dict[str, Any], stem: str) -> list[dict[str, Any]] | None:
    found: dict[int, dict[str, Any]] = {}
    for key, value in attrs.items():
        if key.startswith(stem + "."):
            index, _, name = key[len(stem) + 1 :].partition(".")
            if index.isdigit() and name in ("role", "content"):
                found.setdefault(int(index), {})[name] = value
    return [found[i] for i in sorted(found)] or None


def attributes(raw: Any) -> dict[str, Any]:
    """OTLP JSON attributes (``[{key, value: AnyValue}]``) as a plain dict (a dict stays one)."""
    if isinstance(raw, dict):
        return dict(raw)
    found: dict[str, Any] = {}
    for item in _list(raw):
        if isinstance(item, dict) and isinstance(item.get("key"), str):
            found[item["key"]] = any_value(item.get("value"))
    return found


def any_value(raw: Any) -> Any:
    """One OTLP JSON ``AnyValue`` as a Python value."""
    if not isinstance(raw, dict):
        return raw
    if "stringValue" in raw:
        return raw["stringValue"]
    if "intValue" in raw:
        value = raw["intValue"]
        return (
            int(value)
            if isinstance(value, (int, str)) and str(value).lstrip("-").isdigit()
            else value
        )
    if "doubleValue" in raw:
        return raw["doubleValue"]
    if "boolValue" in raw:
        return raw["boolValue"]
    if "arrayValue" in raw:
        return [any_value(v) for v in _list(_get(raw, "arrayValue", "values"))]
    if "kvlistValue" in raw:
        return attributes(_get(raw, "kvlistValue", "values"))
    if "bytesValue" in raw:
        return raw["bytesValue"]
    return None


def _json(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _get(data: Any, *path: str) -> Any:
    for key in path:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
