"""The MRBench / BEA 2025 shared-task JSON: dialogues, tutor responses and their annotations.

The file is a JSON list of dialogues ``{conversation_id, conversation_history,
Ground_Truth_Solution?, Data?, anno_llm_responses | tutor_responses: {tutor: {response,
annotation?: {dimension: label}}}}``. ``conversation_id`` is not unique: the n-th repeat of an id
gets the item ids ``<conversation_id>~<n>/<tutor>`` (the first keeps ``<conversation_id>/<tutor>``).
A response without ``annotation`` is an item without labels (a test set), not an error.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from tutorloop.errors import Problem
from tutorloop.load.lines import JsonProblem, parse_json, read_text
from tutorloop.records import HumanLabel, TurnItem

_RESPONSE_KEYS = ("anno_llm_responses", "tutor_responses")

Row = TurnItem | HumanLabel | Problem


def read_mrbench(path: str, rater: str = "mrbench") -> Iterator[Row]:
    """Items, labels and problems of an MRBench-shaped JSON file (every problem, one pass)."""
    text = read_text(path)
    if isinstance(text, Problem):
        yield text
        return
    data = parse_json(text)
    if isinstance(data, JsonProblem):
        yield data.at(path, None)
        return
    if not isinstance(data, list):
        yield Problem(
            path,
            f"expected a JSON list of dialogues, found {type(data).__name__}",
            hint="MRBench files are a list of {conversation_id, conversation_history, ...}",
        )
        return
    seen: Counter[str] = Counter()
    for index, entry in enumerate(data):
        yield from _dialogue(path, index, entry, seen, rater)


def _dialogue(path: str, index: int, entry: Any, seen: Counter[str], rater: str) -> Iterator[Row]:
    where = f"[{index}]"
    if not isinstance(entry, dict):
        yield Problem(path, f"dialogue {index}: expected an object", field=where)
        return
    conv = entry.get("conversation_id")
    if not isinstance(conv, str | int) or isinstance(conv, bool) or str(conv).strip() == "":
        yield Problem(path, f"dialogue {index}: missing conversation_id", field=where)
        return
    conv = str(conv)
    name = f"dialogue {index} ({conv})"
    history = entry.get("conversation_history")
    if isinstance(history, list):
        history = "\n".join(_turn_text(t) for t in history)
    if not isinstance(history, str):
        yield Problem(
            path,
            f"{name}: conversation_history must be text",
            field=f"{where}.conversation_history",
        )
        return
    key = next((k for k in _RESPONSE_KEYS if k in entry), None)
    responses = entry.get(key) if key else None
    if not isinstance(responses, dict) or not responses:
        yield Problem(
            path,
            f"{name}: no tutor responses",
            field=f"{where}.{key or _RESPONSE_KEYS[0]}",
            hint="expected anno_llm_responses or tutor_responses: {tutor: {response, annotation}}",
        )
        return
    seen[conv] += 1
    prefix = conv if seen[conv] == 1 else f"{conv}~{seen[conv]}"
    truth = entry.get("Ground_Truth_Solution")
    truth = truth if isinstance(truth, str) and truth != "Not Available" else None
    for tutor, body in responses.items():
        field = f"{where}.{key}.{tutor}"
        if not isinstance(body, dict) or not isinstance(body.get("response"), str):
            yield Problem(path, f"{name}: tutor {tutor!r} has no response text", field=field)
            continue
        item_id = f"{prefix}/{tutor}"
        yield TurnItem(
            item_id=item_id,
            conversation_id=conv,
            tutor=str(tutor),
            history=history.strip(),
            response=body["response"].strip(),
            ground_truth=truth,
            source=entry.get("Data") if isinstance(entry.get("Data"), str) else None,
        )
        annotation = body.get("annotation")
        if annotation is None:
            continue
        if not isinstance(annotation, dict):
            yield Problem(
                path, f"{name}: annotation must be an object", field=f"{field}.annotation"
            )
            continue
        for dimension, value in annotation.items():
            if not isinstance(value, str) or not value.strip():
                yield Problem(
                    path,
                    f"{name}: tutor {tutor!r}: label must be non-empty text, got {value!r}",
                    field=f"{field}.annotation.{dimension}",
                )
                continue
            yield HumanLabel(item_id=item_id, dimension=dimension, value=value.strip(), rater=rater)


def _turn_text(turn: Any) -> str:
    if isinstance(turn, dict):
        who = turn.get("speaker") or turn.get("role") or ""
        text = turn.get("text") or turn.get("content") or ""
        return f"{who}: {text}" if who else str(text)
    return str(turn)
