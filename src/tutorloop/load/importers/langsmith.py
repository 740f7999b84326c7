"""LangSmith run exports: runs with ``inputs``/``outputs``, ``trace_id`` and ``parent_run_id``.

A record is one run (``run_type``: ``llm``, ``chain``, ``tool``...), one per line or in a list.
Sessions are LangSmith threads (the ``session_id``, ``thread_id`` or ``conversation_id`` in
``extra.metadata``, as LangSmith groups threads), else one per trace. LangSmith's own
``session_id`` field is the project, not a conversation, and is kept as metadata only.

- An ``llm`` run's ``inputs.messages`` (LangChain's serialisation, a batch of one) plus its first
  generation's message is a whole history: the longest of a thread wins.
- A root run (no ``parent_run_id``) with ``messages`` in its inputs or outputs is a history too
  (when the outputs hold more messages than the inputs they are the whole state, as LangGraph
  returns it; else they follow the inputs); a root run with a text ``input`` and ``output`` is one
  exchange, and a thread's exchanges are joined in time order.
- Other runs (tools, retrievers, inner chains) are not turns: their effect is in the messages.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tutorloop.load.importers.assemble import Part
from tutorloop.load.importers.base import Importer, Record
from tutorloop.load.importers.messages import Fault, Message, dig, first_text, loose_messages


class LangSmith(Importer):
    """LangSmith runs."""

    name = "langsmith"
    title = "LangSmith run"

    def sniff(self, data: Any) -> bool:
        """A run: ``run_type`` with ``inputs`` or ``outputs``."""
        return (
            isinstance(data, dict)
            and "run_type" in data
            and ("inputs" in data or "outputs" in data)
        )

    def parts(self, record: Record, state: dict[str, Any]) -> Iterable[Part]:
        """The run's history or exchange, when it is an ``llm`` run or a root run."""
        data = record.data
        meta = dig(data, "extra", "metadata")
        if not isinstance(meta, dict):
            meta = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
        thread = first_text(meta.get("session_id"), meta.get("thread_id"),
                            meta.get("conversation_id"))  # fmt: skip
        group = thread or first_text(data.get("trace_id"), data.get("id")) or f"line-{record.line}"
        inputs, outputs = data.get("inputs"), data.get("outputs")
        messages: list[Message] = []
        faults: list[Fault] = []
        chained = False
        if data.get("run_type") == "llm":
            raw = dig(inputs, "messages")
            if raw is None:  # a completion model's prompts: the first is the text sent
                prompts = dig(inputs, "prompts")
                raw = prompts[0] if isinstance(prompts, list) and prompts else prompts
            messages, faults = loose_messages(raw, record.at("inputs.messages"), "user")
            reply = _generation(outputs)
            replies, more = loose_messages(reply, record.at("outputs.generations.0.0"), "assistant")
            messages, faults = messages + replies, faults + more
        elif data.get("parent_run_id") is None:
            ins, outs = dig(inputs, "messages"), dig(outputs, "messages")
            if isinstance(ins, list) or isinstance(outs, list):
                first, faults = loose_messages(ins, record.at("inputs.messages"), "user")
                then, more = loose_messages(outs, record.at("outputs.messages"), "assistant")
                messages = then if len(then) > len(first) else first + then
                faults += more
            elif inputs is not None or outputs is not None:
                first, faults = loose_messages(inputs, record.at("inputs"), "user")
                then, more = loose_messages(outputs, record.at("outputs"), "assistant")
                messages, faults, chained = first + then, faults + more, True
            else:
                return
        else:
            return
        metadata = {k: v for k, v in meta.items() if k != "domain"}
        for key in ("trace_id", "session_id", "name"):
            if data.get(key) is not None:
                metadata.setdefault(f"langsmith_{key}" if key == "session_id" else key, data[key])
        if data.get("error"):
            metadata["error"] = data["error"]
        yield Part(
            messages,
            record.line,
            group=group,
            order=data.get("start_time"),
            chained=chained,
            session_id=group,
            domain=first_text(meta.get("domain")),
            metadata=metadata,
            faults=faults,
        )


def _generation(outputs: Any) -> Any:
    generations = dig(outputs, "generations")
    if isinstance(generations, list) and generations:
        first = generations[0]
        if isinstance(first, list) and first:
            first = first[0]
        if isinstance(first, dict):
            return first.get("message") or first.get("text")
    return dig(outputs, "output") if isinstance(outputs, dict) else outputs
