"""The one streaming line reader and the one safe JSON parse that every input format uses.

A file is read in bounded binary chunks and split into lines as Python's text mode splits them
(LF, CRLF and a lone CR each end one); each line is decoded on its own, so
one bad line costs one record, reported at its own line number:

- invalid UTF-8, a NUL byte, or a byte order mark anywhere but the start of the file is a
  :class:`~tutorloop.errors.Problem` for that line (a BOM at the start of the file is dropped);
- a line longer than ``max_line_bytes`` is a problem too, and is skipped chunk by chunk, never held
  in memory whole.

:func:`parse_json` turns JSON text into a value or a problem: nesting deeper than
:data:`MAX_DEPTH`, integers past Python's int-string conversion limit and non-finite numbers are
problems, not exceptions.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tutorloop.errors import Problem

__all__ = [
    "CHUNK_BYTES",
    "DEFAULT_MAX_LINE_BYTES",
    "MAX_DEPTH",
    "MAX_LINE_BYTES_ENV",
    "JsonProblem",
    "Line",
    "decode_line",
    "iter_lines",
    "max_line_bytes",
    "parse_json",
    "read_text",
]

CHUNK_BYTES = 1 << 20
"""Bytes read from a file at a time."""
DEFAULT_MAX_LINE_BYTES = 64 << 20
"""The longest line (or ``.json`` file) read as one record, unless configured otherwise."""
MAX_LINE_BYTES_ENV = "TUTORLOOP_MAX_LINE_BYTES"
"""Environment variable that sets the longest line, in bytes."""
MAX_DEPTH = 64
"""The deepest nesting of JSON objects and lists a record may have."""

_BOM = b"\xef\xbb\xbf"
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")
_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")


@dataclass(frozen=True, slots=True)
class Line:
    """One decoded line of a file, without its line ending."""

    number: int
    """1-based line number in the file."""
    text: str


def max_line_bytes(limit: int | None = None) -> int:
    """``limit`` when given, else ``$TUTORLOOP_MAX_LINE_BYTES``, else the default (64 MiB)."""
    if limit is not None:
        return limit
    raw = os.environ.get(MAX_LINE_BYTES_ENV, "").strip()
    if raw.isdigit() and int(raw) > 0:
        return int(raw)
    return DEFAULT_MAX_LINE_BYTES


def iter_lines(path: str | Path, *, limit: int | None = None) -> Iterator[Line | Problem]:
    """Every line of ``path``: a :class:`Line`, or a :class:`Problem` for one that cannot be read.

    Args:
        path: the file.
        limit: the longest line in bytes (default: :func:`max_line_bytes`).

    Yields:
        One entry per line (blank lines included, so callers count lines themselves never);
        a problem for a file that cannot be opened.
    """
    where = str(path)
    cap = max_line_bytes(limit)
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        yield Problem(where, f"cannot read the file: {exc.strerror or exc}", hint="check the path")
        return
    with handle:
        number = 0
        pending = bytearray()
        oversize = 0
        while True:
            chunk = handle.read(CHUNK_BYTES)
            if not chunk:
                break
            start = 0
            while True:
                end = chunk.find(b"\n", start)
                piece = chunk[start:] if end < 0 else chunk[start:end]
                if oversize or len(pending) + len(piece) > cap:
                    oversize += len(pending) + len(piece)
                    pending.clear()
                else:
                    pending += piece
                if end < 0:
                    break
                for entry in _finish(where, number, pending, oversize, cap):
                    number += 1
                    yield entry
                pending.clear()
                oversize = 0
                start = end + 1
        if pending or oversize:
            for entry in _finish(where, number, pending, oversize, cap):
                number += 1
                yield entry


def _finish(
    where: str, before: int, raw: bytearray, oversize: int, cap: int
) -> Iterator[Line | Problem]:
    """The lines of one LF-ended piece: a lone CR ends a line too (as text mode reads)."""
    if oversize:
        yield Problem(
            where,
            f"the line is {oversize:,} bytes, over the limit of {cap:,}",
            line=before + 1,
            hint=f"split the record, or raise the limit with {MAX_LINE_BYTES_ENV}",
        )
        return
    if before == 0 and raw.startswith(_BOM):
        del raw[: len(_BOM)]
    parts = bytes(raw).split(b"\r")
    if len(parts) > 1 and not parts[-1]:
        parts.pop()  # a CRLF ending, or a file whose last line ends with CR
    for offset, part in enumerate(parts, start=1):
        yield decode_line(part, where, before + offset)


def decode_line(raw: bytes, where: str, number: int | None) -> Line | Problem:
    """One line's bytes as text, or the problem that stops it: invalid UTF-8, NUL, a stray BOM."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Problem(
            where,
            f"cannot read the text: byte 0x{raw[exc.start]:02x} at column {exc.start + 1} "
            f"is not UTF-8 ({exc.reason})",
            line=number,
            hint="save the file as UTF-8",
        )
    if "\x00" in text:
        return Problem(
            where,
            f"a NUL byte at column {text.index(chr(0)) + 1}",
            line=number,
            hint="remove the NUL bytes; JSON text never holds them",
        )
    if "\ufeff" in text:
        return Problem(
            where,
            f"a byte order mark (U+FEFF) at column {text.index(chr(0xFEFF)) + 1}",
            line=number,
            hint="a BOM may only start a file; remove it (files joined with cat keep theirs)",
        )
    return Line(number or 1, text)


def read_text(path: str | Path, *, limit: int | None = None) -> str | Problem:
    """The whole of a small file (a ``.json`` record) as text, checked like a line of JSONL.

    A BOM at the start is dropped; invalid UTF-8, NUL bytes and a stray BOM are problems naming
    the line; a file over the limit is a problem and is not read.
    """
    where = str(path)
    cap = max_line_bytes(limit)
    try:
        size = os.path.getsize(path)
        if size > cap:
            return Problem(
                where,
                f"the file is {size:,} bytes, over the limit of {cap:,}",
                hint=f"split it, or raise the limit with {MAX_LINE_BYTES_ENV}",
            )
        with open(path, "rb") as handle:
            raw = handle.read(cap + 1)
    except OSError as exc:
        return Problem(where, f"cannot read the file: {exc.strerror or exc}")
    raw = raw.removeprefix(_BOM)
    checked = decode_line(raw, where, None)
    if isinstance(checked, Problem):
        return _with_line(checked, raw)
    return checked.text


def _with_line(problem: Problem, raw: bytes) -> Problem:
    """A whole-file problem given the line (and column within it) where it happened."""
    column = _column(problem.message)
    if column is None:
        return problem
    offset = _byte_offset(raw, problem.message, column)
    line = raw.count(b"\n", 0, offset) + 1
    line_start = raw.rfind(b"\n", 0, offset) + 1
    message = problem.message.replace(f"column {column}", f"column {offset - line_start + 1}")
    return Problem(problem.path, message, line=line, hint=problem.hint)


def _column(message: str) -> int | None:
    marker = "column "
    at = message.find(marker)
    if at < 0:
        return None
    digits = ""
    for char in message[at + len(marker) :]:
        if not char.isdigit():
            break
        digits += char
    return int(digits) if digits else None


def _byte_offset(raw: bytes, message: str, column: int) -> int:
    """The byte offset a problem's column names (bytes for UTF-8 errors, characters else)."""
    if "is not UTF-8" in message:
        return column - 1
    prefix = raw.decode("utf-8", errors="replace")[: column - 1]
    return len(prefix.encode("utf-8", errors="replace"))


@dataclass(frozen=True, slots=True)
class JsonProblem:
    """Why a JSON text could not become a value: what, and the line and column when known."""

    message: str
    line: int | None = None
    column: int | None = None
    hint: str | None = None

    def at(self, path: str, line: int | None) -> Problem:
        """As a :class:`Problem` at ``path`` (``line`` of JSONL, or the text's own line)."""
        where = line if line is not None else self.line
        return Problem(path, self.message, line=where, hint=self.hint)


def parse_json(text: str, *, max_depth: int = MAX_DEPTH) -> Any | JsonProblem:
    """``json.loads(text)``, or a :class:`JsonProblem` for any text it should not or cannot take.

    Checks the nesting depth before parsing (so a record nested a million deep costs a scan, not
    a stack), and turns Python's int-string conversion limit, non-finite numbers (``NaN``,
    ``Infinity``) and lone surrogate escapes (text no store can hold) into problems.
    """
    depth = _depth(text, max_depth)
    if depth > max_depth:
        return JsonProblem(
            f"JSON nested {depth} levels deep, over the limit of {max_depth}",
            hint="flatten the record; sessions need only a few levels",
        )
    try:
        value = json.loads(text, parse_constant=_reject_constant)
        if _SURROGATE.search(text):
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        return value
    except UnicodeEncodeError:
        return JsonProblem(
            "a lone surrogate escape (\\ud800-\\udfff) that is not a character",
            hint="escape characters outside the BMP as a surrogate pair, or write them as UTF-8",
        )
    except json.JSONDecodeError as exc:
        return JsonProblem(
            f"invalid JSON: {exc.msg} (column {exc.colno})",
            exc.lineno,
            exc.colno,
            hint="fix the JSON there: a record is one whole JSON object",
        )
    except _NonFinite as exc:
        return JsonProblem(
            f"invalid JSON: {exc.args[0]} is not a JSON number", hint="write null or a string"
        )
    except ValueError as exc:  # Python's limit on the digits of an int
        return JsonProblem(
            f"a number too long to read: {str(exc).split(';')[0]}",
            hint="write very long numbers as strings",
        )
    except RecursionError:
        return JsonProblem("JSON nested too deeply to read", hint="flatten the record")


class _NonFinite(ValueError):
    pass


def _reject_constant(name: str) -> Any:
    raise _NonFinite(name)


def _depth(text: str, limit: int) -> int:
    """The deepest bracket nesting of ``text``, outside strings (a scan in C, no parse).

    The number of opening brackets bounds the depth; only when it passes ``limit`` are strings
    removed and the brackets counted in order.
    """
    openers = text.count("[") + text.count("{")
    if openers <= limit:
        return openers
    brackets = _BRACKET.findall(_STRING.sub("", text))
    deepest = depth = 0
    for char in brackets:
        depth += 1 if char in "[{" else -1
        deepest = max(deepest, depth)
    return deepest
