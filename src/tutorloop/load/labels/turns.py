"""Turn items from other inputs: every tutor turn of sessions, and prediction files."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from pydantic import ValidationError

from tutorloop.errors import InputProblems, Problem
from tutorloop.load.items import Item
from tutorloop.load.lines import JsonProblem, iter_lines, parse_json
from tutorloop.load.sessions import iter_loaded
from tutorloop.records import LabelPrediction, TurnItem

_SPEAKER = {"user": "Student", "assistant": "Tutor"}


def session_turn_items(paths: Iterable[str | Path]) -> list[TurnItem]:
    """One :class:`TurnItem` per tutor turn of every session: ``(history so far, the turn)``.

    Item ids are ``<item key>#<turn index>``; the dialogue is the session.

    Raises:
        InputProblems: a session file could not be read.
    """
    items: list[TurnItem] = []
    problems: list[Problem] = []
    for loaded in iter_loaded(paths):
        if isinstance(loaded, Problem):
            problems.append(loaded)
        elif isinstance(loaded, Item):
            items.extend(item_turn_items(loaded))
    if problems:
        raise InputProblems(problems)
    return items


def item_turn_items(item: Item) -> Iterator[TurnItem]:
    """The :class:`TurnItem` of each tutor turn of ``item``, in order (see above)."""
    history: list[str] = []
    for index, turn in enumerate(item.trajectory):
        if turn.role == "assistant":
            yield TurnItem(
                item_id=f"{item.key}#{index}",
                conversation_id=item.session_id,
                tutor=item.condition or "logged",
                history="\n".join(history),
                response=turn.content,
                source=item.origin,
            )
        history.append(f"{_SPEAKER.get(turn.role, turn.role)}: {turn.content}")


def read_predictions(path: str | Path) -> list[LabelPrediction]:
    """The lines of a predictions file written by ``tutorloop learn predict``.

    Raises:
        InputProblems: every bad line, with its number and field.
    """
    name = str(path)
    records: list[LabelPrediction] = []
    problems: list[Problem] = []
    for line in iter_lines(name):
        if isinstance(line, Problem):
            problems.append(line)
            continue
        if not line.text.strip():
            continue
        data = parse_json(line.text)
        if isinstance(data, JsonProblem):
            problems.append(data.at(name, line.number))
            continue
        try:
            records.append(LabelPrediction.model_validate(data))
        except ValidationError as exc:
            for error in exc.errors():
                field = ".".join(str(p) for p in error["loc"]) or None
                problems.append(Problem(name, error["msg"], line=line.number, field=field))
    if problems:
        raise InputProblems(problems)
    return records
