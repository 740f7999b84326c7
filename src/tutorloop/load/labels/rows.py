"""Label files one row at a time: tutorloop JSONL (HumanLabel lines) and CSV, streamed.

CSV columns: ``item_id``, ``dimension``, ``value`` (required; an empty value is a row still to
label), and optionally ``rater``, ``labelled_at``, ``note`` and the item's ``kind``,
``conversation_id``, ``tutor``, ``history``, ``response``, ``ground_truth``, ``source``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from pydantic import ValidationError

from tutorloop.errors import Problem
from tutorloop.load.lines import JsonProblem, iter_lines, parse_json
from tutorloop.records import HumanLabel, NewerSchemaVersion, TurnItem

Row = TurnItem | HumanLabel | Problem

CSV_REQUIRED = ("item_id", "dimension", "value")
CSV_LABEL = ("rater", "labelled_at", "note")
CSV_LABEL_SOURCE = "label_source"
"""The CSV column of a label's ``source`` (``source`` names the item's origin)."""
CSV_ITEM = ("kind", "conversation_id", "tutor", "history", "response", "ground_truth", "source")


def read_jsonl(path: str) -> Iterator[Row]:
    """Labels (and the items they carry) of an tutorloop JSONL label file, line by line."""
    for line in iter_lines(path):
        if isinstance(line, Problem):
            yield line
        elif line.text.strip():
            yield from _json_line(path, line.number, line.text)


def _json_line(path: str, number: int, line: str) -> Iterator[Row]:
    data = parse_json(line)
    if isinstance(data, JsonProblem):
        yield data.at(path, number)
        return
    try:
        label = HumanLabel.model_validate(data)
    except ValidationError as exc:
        yield from _validation_problems(path, number, exc)
        return
    if label.item is not None:
        if label.item.item_id != label.item_id:
            yield Problem(
                path,
                f"item.item_id {label.item.item_id!r} differs from item_id {label.item_id!r}",
                line=number,
                field="item.item_id",
            )
            return
        yield label.item
    yield label


def _validation_problems(path: str, number: int, exc: ValidationError) -> Iterator[Problem]:
    for error in exc.errors():
        ctx = error.get("ctx") or {}
        if isinstance(ctx.get("error"), NewerSchemaVersion):
            yield Problem(path, str(ctx["error"]), line=number, field="schema_version")
            continue
        field = ".".join(str(p) for p in error["loc"]) or None
        yield Problem(path, error["msg"], line=number, field=field)


def read_csv(path: str) -> Iterator[Row]:
    """Labels and items of a CSV label file; line numbers are the file's own (header = 1)."""
    bad: dict[int, Problem] = {}
    reader = csv.DictReader(_csv_text(path, bad))
    try:
        header = reader.fieldnames or []
        if 1 in bad:
            yield bad[1]
            return
        missing = [c for c in CSV_REQUIRED if c not in header]
        if missing:
            yield Problem(
                path,
                f"missing column(s) {', '.join(missing)}",
                line=1,
                hint=f"the header needs {', '.join(CSV_REQUIRED)}",
            )
            return
        line = reader.line_num
        for row in reader:
            start, line = line + 1, reader.line_num
            if row.get(header[0]) == _UNREADABLE:
                yield bad[line]
            else:
                yield from _csv_row(path, start, row)
    except csv.Error as exc:
        yield Problem(path, f"cannot read the CSV: {exc}", line=reader.line_num or None)


_UNREADABLE = "\x00unreadable"


def _csv_text(path: str, bad: dict[int, Problem]) -> Iterator[str]:
    """The file's lines for :mod:`csv`; an unreadable line is kept in ``bad`` and read as a marker.

    The marker is a row of its own, so the reader's line count stays right and the caller can
    report the line's problem in its place.
    """
    for line in iter_lines(path):
        if isinstance(line, Problem):
            if line.line is None:  # the file itself cannot be opened
                bad[1] = line
                return
            bad[line.line] = line
            yield f'"{_UNREADABLE}"\n'
        else:
            yield line.text + "\n"


def _csv_row(path: str, line: int, row: dict[str, Any]) -> Iterator[Row]:
    if None in row:
        yield Problem(path, "more values than columns", line=line)
        return
    for column in ("item_id", "dimension"):
        if not (row.get(column) or "").strip():
            yield Problem(path, f"{column} is empty", line=line, field=column)
            return
    item_id = row["item_id"].strip()
    fields = {c: row[c] for c in CSV_ITEM if row.get(c)}
    if fields.get("history") or fields.get("response") or fields.get("kind"):
        try:
            yield TurnItem.model_validate({"item_id": item_id, **fields})
        except ValidationError as exc:
            yield from _validation_problems(path, line, exc)
            return
    extra = {c: row[c] for c in CSV_LABEL if row.get(c)}
    if (row.get(CSV_LABEL_SOURCE) or "").strip():
        extra["source"] = row[CSV_LABEL_SOURCE].strip()
    value = (row.get("value") or "").strip() or None
    try:
        yield HumanLabel.model_validate(
            {"item_id": item_id, "dimension": row["dimension"].strip(), "value": value, **extra}
        )
    except ValidationError as exc:
        yield from _validation_problems(path, line, exc)
