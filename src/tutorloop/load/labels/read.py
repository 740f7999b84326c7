"""Read a label file in any supported format into a :class:`LabelSet`; write tutorloop JSONL."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Literal

from tutorloop.atomic import atomic_path
from tutorloop.errors import InputProblems, Problem
from tutorloop.load.labels.labelset import LabelSet, file_sha256, label_lines
from tutorloop.load.labels.mrbench import read_mrbench
from tutorloop.load.labels.rows import read_csv, read_jsonl
from tutorloop.records import HumanLabel, TurnItem

LabelFormat = Literal["auto", "tutorloop", "mrbench", "csv"]
LABEL_FORMATS = ("tutorloop", "mrbench", "csv")


def detect_format(path: str | Path) -> str:
    """The format a file's suffix implies: ``.csv`` CSV, ``.json`` MRBench, else tutorloop JSONL."""
    suffix = Path(path).suffix.lower()
    return {".csv": "csv", ".json": "mrbench"}.get(suffix, "tutorloop")


def read_labels(path: str | Path, fmt: LabelFormat = "auto", rater: str | None = None) -> LabelSet:
    """Every item and label of ``path``.

    Args:
        path: the label file.
        fmt: ``tutorloop`` (JSONL of HumanLabel), ``mrbench`` (MRBench/BEA JSON), ``csv``, or
            ``auto`` (by suffix).
        rater: the rater id for formats that do not name one (MRBench: ``mrbench``).

    Raises:
        InputProblems: every bad row, each with its file, line or entry, and field.
    """
    name = str(path)
    if not Path(name).is_file():
        raise InputProblems([Problem(name, "no such file", hint="check the path")])
    chosen = detect_format(name) if fmt == "auto" else fmt
    if chosen not in LABEL_FORMATS:
        raise InputProblems(
            [Problem(name, f"unknown format {fmt!r}", hint=f"use {', '.join(LABEL_FORMATS)}")]
        )
    rows: Iterator[TurnItem | HumanLabel | Problem]
    if chosen == "mrbench":
        rows = read_mrbench(name, rater or "mrbench")
    elif chosen == "csv":
        rows = read_csv(name)
    else:
        rows = read_jsonl(name)
    labelset = LabelSet(path=name, format=chosen, sha256=file_sha256(name))
    problems = _collect(labelset, rows, rater if chosen != "mrbench" else None)
    if problems:
        raise InputProblems(problems)
    return labelset


def _collect(
    labelset: LabelSet,
    rows: Iterable[TurnItem | HumanLabel | Problem],
    rater: str | None,
) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[tuple[str, str, str]] = set()
    for row in rows:
        if isinstance(row, Problem):
            problems.append(row)
        elif isinstance(row, TurnItem):
            known = labelset.items.get(row.item_id)
            if known is not None and known != row:
                problems.append(
                    Problem(
                        labelset.path,
                        f"item {row.item_id!r} is described twice, differently",
                        field="item",
                        hint="give one item_id per distinct (history, response)",
                    )
                )
            labelset.items[row.item_id] = row
        else:
            if rater and row.rater == "unknown":
                row = row.model_copy(update={"rater": rater})
            if row.value is None:
                labelset.pending.append(row)
                continue
            key = (row.item_id, row.dimension, row.rater)
            if key in seen:
                problems.append(
                    Problem(
                        labelset.path,
                        f"rater {row.rater!r} labels item {row.item_id!r} on "
                        f"{row.dimension!r} twice",
                        field="value",
                        hint="keep one label per item, dimension and rater",
                    )
                )
                continue
            seen.add(key)
            labelset.labels.append(row)
    return problems


def write_labels(
    path: str | Path, labels: Iterable[HumanLabel], items: dict[str, TurnItem]
) -> Path:
    """Write ``labels`` as an tutorloop JSONL label file (atomically); return the path."""
    target = Path(path)
    with atomic_path(target) as tmp, tmp.open("w", encoding="utf-8") as handle:
        handle.writelines(label_lines(labels, items))
    return target
