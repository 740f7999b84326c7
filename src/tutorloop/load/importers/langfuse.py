"""Langfuse trace exports: traces (with their observations) and observations, JSON or JSONL.

A record is a trace (``id``, ``timestamp``, ``sessionId``, ``input``, ``output``, and
``observations`` as objects when exported with them) or an observation (``traceId``, ``type``,
``startTime``, ``input``, ``output``), one per line or in an API list page (``{"data": [...],
"meta": ...}``). Sessions are Langfuse sessions (``sessionId``), else one per trace; an
observation finds its session through its trace when the trace came earlier in the file (else it
is grouped by its ``traceId``).

Each ``GENERATION`` observation carries the chat history it was called with (``input``) and its
reply (``output``): the longest history of a session wins. A trace with no generations gives its
own ``input``/``output``: a message list is a history; a text input and output is one exchange,
and a session's exchanges are joined in time order. Spans and events are not turns.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from tutorloop.load.importers.assemble import Part
from tutorloop.load.importers.base import Importer, Record
from tutorloop.load.importers.messages import dig, first_text, loose_messages


class Langfuse(Importer):
    """Langfuse traces and observations."""

    name = "langfuse"
    title = "Langfuse trace or observation"

    def sniff(self, data: Any) -> bool:
        """A trace (observations, or sessionId with timestamp) or an observation (traceId, type)."""
        if not isinstance(data, dict):
            return False
        if "traceId" in data and "type" in data and "startTime" in data:
            return True
        return ("observations" in data and "id" in data) or (
            "sessionId" in data and "timestamp" in data
        )

    def parts(self, record: Record, state: dict[str, Any]) -> Iterable[Part]:
        """A trace's generations (or its own exchange), or one generation observation."""
        data = record.data
        sessions: dict[str, str] = state.setdefault("sessions", {})
        if "traceId" in data and "observations" not in data:
            if data.get("type") != "GENERATION":
                return
            trace = str(data.get("traceId"))
            yield _generation(data, record, record.field, sessions.get(trace, trace), {})
            return
        trace_id = first_text(data.get("id")) or f"line-{record.line}"
        group = first_text(data.get("sessionId")) or trace_id
        sessions[trace_id] = group
        meta = _meta(data)
        observations = data.get("observations")
        generations = 0
        if isinstance(observations, list):
            for index, observation in enumerate(observations):
                if isinstance(observation, dict) and observation.get("type") == "GENERATION":
                    generations += 1
                    where = record.at(f"observations.{index}")
                    yield _generation(observation, record, where, group, meta)
        if not generations:
            yield from _trace_exchange(data, record, group, meta)


def _generation(
    data: dict[str, Any], record: Record, where: str, group: str, meta: dict[str, Any]
) -> Part:
    prefix = f"{where}." if where else ""
    messages, faults = loose_messages(data.get("input"), f"{prefix}input", "user")
    replies, more = loose_messages(data.get("output"), f"{prefix}output", "assistant")
    metadata = dict(meta)
    if isinstance(data.get("model"), str):
        metadata.setdefault("model", data["model"])
    return Part(
        messages + replies,
        record.line,
        group=group,
        order=data.get("startTime"),
        session_id=group,
        domain=first_text(dig(data, "metadata", "domain"), meta.get("domain")),
        metadata=metadata,
        faults=faults + more,
    )


def _trace_exchange(
    data: dict[str, Any], record: Record, group: str, meta: dict[str, Any]
) -> Iterator[Part]:
    if data.get("input") is None and data.get("output") is None:
        return
    messages, faults = loose_messages(data.get("input"), record.at("input"), "user")
    replies, more = loose_messages(data.get("output"), record.at("output"), "assistant")
    yield Part(
        messages + replies,
        record.line,
        group=group,
        order=data.get("timestamp"),
        chained=not isinstance(data.get("input"), list),
        session_id=group,
        domain=first_text(dig(data, "metadata", "domain")),
        metadata=meta,
        faults=faults + more,
    )


def _meta(data: dict[str, Any]) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    if isinstance(data.get("metadata"), dict):
        meta.update(data["metadata"])
    for key in ("userId", "name", "tags", "release"):
        if data.get(key) is not None:
            meta[key] = data[key]
    return meta
