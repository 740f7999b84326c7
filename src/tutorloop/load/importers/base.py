"""What every importer is, and the one way JSON and JSONL logs are read record by record.

A ``.jsonl``/``.ndjson`` file is streamed line by line with the project's line reader; a
``.json`` file is one JSON text (read whole, up to the same size limit as a native ``.json``
session: JSON has no record boundaries to stream on). A JSON array, or an API list page
(``{"object": "list", "data": [...]}``, ``{"data": [...], "meta": ...}``), is split into its
elements, each a record whose fields are named ``data.3.…``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from tutorloop.errors import Problem
from tutorloop.load.importers.assemble import Assembler, Imported, Part
from tutorloop.load.importers.messages import DEFAULT_DOMAIN
from tutorloop.load.lines import JsonProblem, iter_lines, parse_json, read_text

JSONL_SUFFIXES = (".jsonl", ".ndjson")
MIXED_HINT = "put each log format in its own file, or name the format with --format"


@dataclass(frozen=True, slots=True)
class Record:
    """One JSON record of a log file."""

    data: Any
    line: int | None
    """Its JSONL line; None in a ``.json`` file (a problem there names the JSON text's line)."""
    field: str = ""
    """Where it sits in the file's JSON (``data.3``), or empty for a whole line or file."""

    def at(self, name: str) -> str:
        """The field path of ``name`` inside this record."""
        return f"{self.field}.{name}" if self.field else name


def iter_records(path: Path) -> Iterator[Record | Problem]:
    """Every JSON record of ``path`` (see the module docstring), or the problem of each bad one."""
    if path.suffix in JSONL_SUFFIXES:
        for line in iter_lines(path):
            if isinstance(line, Problem):
                yield line
                continue
            if not line.text.strip():
                continue
            value = parse_json(line.text)
            if isinstance(value, JsonProblem):
                yield value.at(str(path), line.number)
            elif isinstance(value, dict):
                yield from _unwrap(value, line.number)
            else:
                yield Record(value, line.number)  # a line is one record, never an array of them
        return
    text = read_text(path)
    if isinstance(text, Problem):
        yield text
        return
    value = parse_json(text)
    if isinstance(value, JsonProblem):
        yield value.at(str(path), None)
    else:
        yield from _unwrap(value, None)


def _unwrap(value: Any, line: int | None) -> Iterator[Record]:
    if isinstance(value, list):
        for index, item in enumerate(value):
            yield Record(item, line, str(index))
    elif isinstance(value, dict) and is_list_page(value):
        for index, item in enumerate(value["data"]):
            yield Record(item, line, f"data.{index}")
    else:
        yield Record(value, line)


def is_list_page(value: dict[str, Any]) -> bool:
    """Whether ``value`` is an API list page (its records under ``data``)."""
    return isinstance(value.get("data"), list) and (
        value.get("object") == "list" or "meta" in value or "has_more" in value
    )


def sample_records(path: Path, limit: int = 5) -> list[Any]:
    """The first ``limit`` records of ``path`` that parse (for sniffing its format)."""
    found: list[Any] = []
    for record in iter_records(path):
        if isinstance(record, Record):
            found.append(record.data)
            if len(found) >= limit:
                break
    return found


class Importer:
    """A log format: how to recognise one of its records, and how to read its sessions."""

    name: ClassVar[str]
    """The format's name, as ``--format`` takes it."""
    title: ClassVar[str]
    """The format in words."""
    suffixes: ClassVar[tuple[str, ...]] = (".json", ".jsonl", ".ndjson")

    def sniff(self, data: Any) -> bool:
        """Whether one record (a parsed JSON value) is of this format."""
        raise NotImplementedError

    def parts(self, record: Record, state: dict[str, Any]) -> Iterable[Part]:
        """The parts of one record of this format (``state`` lives as long as one file's read)."""
        raise NotImplementedError

    def read(self, path: Path, domain: str = DEFAULT_DOMAIN) -> Iterator[Imported | Problem]:
        """Every session of ``path``, and a problem for every record that cannot be read."""
        assembler = Assembler(self.name, str(path), domain)
        state: dict[str, Any] = {}
        for record in iter_records(path):
            if isinstance(record, Problem):
                yield record
                continue
            if not self.sniff(record.data):
                yield Problem(
                    str(path),
                    f"not {article(self.title)} {self.title} record ({describe(record.data)})",
                    line=record.line,
                    field=record.field or None,
                    hint=MIXED_HINT,
                )
                continue
            for part in self.parts(record, state):
                yield from assembler.add(part)
        yield from assembler.finish()


def article(word: str) -> str:
    """``a`` or ``an`` before ``word``."""
    return "an" if word[:1].lower() in "aeiou" else "a"


def describe(data: Any) -> str:
    """A few words on what a record is, for a message."""
    if isinstance(data, dict):
        keys = ", ".join(sorted(str(k) for k in data)[:6])
        return f"an object with {keys}" if keys else "an empty object"
    return f"a JSON {type(data).__name__}"
