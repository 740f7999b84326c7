"""CSV (or TSV) with one turn per row: session id, turn index, role, content.

The first row names the columns; names are matched without regard to case, spaces, dashes or
underscores, and these are accepted:

- session id: ``session_id``, ``session``, ``conversation_id``, ``conversation``, ``thread_id``,
  ``thread``, ``dialog_id``, ``chat_id``
- turn index (optional; else file order): ``turn_index``, ``turn``, ``index``, ``turn_id``,
  ``position``, ``seq``, ``sequence``, ``step``, ``message_index``
- role: ``role``, ``speaker``, ``author``, ``sender``, ``from``
- content: ``content``, ``text``, ``message``, ``utterance``, ``body``
- optional: ``domain``; ``tags`` (separated by ``;`` or ``|``)

Rows are read one by one (a quoted field may span lines; a problem names the row's first line);
a session's turns are held until the end of the file and ordered by turn index, so memory grows
with the file. A bad row costs its session: the problem names its line and column.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tutorloop.errors import Problem
from tutorloop.load.importers.assemble import Assembler, Imported, Part
from tutorloop.load.importers.base import Importer, Record
from tutorloop.load.importers.messages import DEFAULT_DOMAIN, Fault, Message, checked, role_of
from tutorloop.load.lines import max_line_bytes

COLUMNS: dict[str, tuple[str, ...]] = {
    "session": (
        "sessionid",
        "session",
        "conversationid",
        "conversation",
        "threadid",
        "thread",
        "dialogid",
        "chatid",
    ),
    "turn": (
        "turnindex",
        "turn",
        "index",
        "turnid",
        "position",
        "seq",
        "sequence",
        "step",
        "messageindex",
    ),
    "role": ("role", "speaker", "author", "sender", "from"),
    "content": ("content", "text", "message", "utterance", "body"),
    "domain": ("domain",),
    "tags": ("tags",),
}
"""Each column the importer reads, and the header names it accepts (normalised)."""
_REQUIRED = ("session", "role", "content")


class CsvTurns(Importer):
    """One turn per CSV row."""

    name = "csv"
    title = "CSV turn"
    suffixes = (".csv", ".tsv")

    def sniff(self, data: Any) -> bool:
        """A header row naming a session, a role and a content column."""
        return isinstance(data, list) and all(k in header_map(data) for k in _REQUIRED)

    def parts(self, record: Record, state: dict[str, Any]) -> Iterator[Part]:
        """Rows are read by :meth:`read`, not as JSON records."""
        return iter(())

    def read(self, path: Path, domain: str = DEFAULT_DOMAIN) -> Iterator[Imported | Problem]:
        """Every session of the CSV file ``path``, a problem for every bad row."""
        where = str(path)
        csv.field_size_limit(max_line_bytes())
        try:
            handle = open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115 - closed below
        except OSError as exc:
            yield Problem(
                where, f"cannot read the file: {exc.strerror or exc}", hint="check the path"
            )
            return
        assembler = Assembler(self.name, where, domain)
        with handle:
            reader = csv.reader(handle, delimiter="\t" if path.suffix == ".tsv" else ",")
            try:
                header = next(reader, None)
                if header is None:
                    yield Problem(
                        where, "the file is empty", hint="the first row names the columns"
                    )
                    return
                columns = header_map(header)
                missing = [k for k in _REQUIRED if k not in columns]
                if missing:
                    yield _missing(where, missing)
                    return
                start = reader.line_num + 1
                for row in reader:
                    if any(cell.strip() for cell in row):
                        yield from assembler.add(_part(row, columns, header, start))
                    start = reader.line_num + 1
            except UnicodeDecodeError as exc:
                yield Problem(
                    where,
                    f"cannot read the text: {exc.reason}",
                    line=reader.line_num + 1,
                    hint="save the file as UTF-8",
                )
                return
            except csv.Error as exc:
                yield Problem(
                    where,
                    f"cannot read the CSV: {exc}",
                    line=reader.line_num,
                    hint="fix the quoting there (a quote opened and never closed?)",
                )
                return
        yield from assembler.finish()


def is_turns_csv(path: str | Path) -> bool:
    """Whether the first row of the CSV file ``path`` names session, role and content columns."""
    path = Path(path)
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            delimiter = "\t" if path.suffix == ".tsv" else ","
            header = next(csv.reader(handle, delimiter=delimiter), None)
    except (OSError, UnicodeDecodeError, csv.Error):
        return True  # the importer reports what is wrong with it
    return header is not None and CsvTurns().sniff(header)


def header_map(header: list[Any]) -> dict[str, int]:
    """Which column (by position) holds each field of :data:`COLUMNS`."""
    found: dict[str, int] = {}
    for index, name in enumerate(header):
        key = re.sub(r"[\s_\-]", "", str(name).lower())
        for field, names in COLUMNS.items():
            if key in names and field not in found:
                found[field] = index
    return found


def _missing(where: str, missing: list[str]) -> Problem:
    accepted = "; ".join(f"{k}: {', '.join(COLUMNS[k])}" for k in missing)
    return Problem(where, f"no {' or '.join(missing)} column in the header", line=1,
                   hint=f"name the columns (any of) {accepted}")  # fmt: skip


def _part(row: list[str], columns: dict[str, int], header: list[str], line: int) -> Part:
    def cell(field: str) -> str | None:
        index = columns.get(field)
        return row[index] if index is not None and index < len(row) else None

    def name(field: str) -> str:
        return str(header[columns[field]])

    faults: list[Fault] = []
    session = (cell("session") or "").strip()
    if not session:
        faults.append(Fault(name("session"), "empty session id", "every row names its session"))
    order: Any = None
    raw_turn = cell("turn")
    if raw_turn is not None and raw_turn.strip():
        try:
            order = float(raw_turn)
        except ValueError:
            faults.append(Fault(name("turn"), f"turn index must be a number, found {raw_turn!r}"))
    message: Message | Fault = Message("user", "")
    role = role_of(cell("role") or "", name("role"))
    if isinstance(role, Fault):
        faults.append(role)
    else:
        message = checked(Message(role, cell("content") or ""), "")
        if isinstance(message, Fault):
            faults.append(Fault(name("content"), message.message, message.hint))
    tags = [t.strip() for t in re.split(r"[;|]", cell("tags") or "") if t.strip()]
    if isinstance(message, Message) and tags:
        message.extra["tags"] = tags
    return Part(
        [message] if isinstance(message, Message) and not faults else [],
        line,
        group=session or f"line-{line}",
        order=order,
        chained=True,
        session_id=session or None,
        domain=(cell("domain") or "").strip() or None,
        faults=faults,
    )
