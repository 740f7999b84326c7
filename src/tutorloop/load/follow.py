"""Follow a folder where sessions land: new files, and lines appended to files already read.

:class:`Follower` scans a folder (the session files the loader reads, :func:`input_files`) and
reads only what is new since its last scan, through the project's one reader: each complete line
of a ``.jsonl``/``.ndjson`` file is decoded by :func:`~tutorloop.load.lines.decode_line` and parsed
by :func:`~tutorloop.load.sessions.parse_record`; any other file is one record read whole by
:func:`~tutorloop.load.sessions.iter_loaded`, so every format the loader reads is followed.

* A half-written last line (no line ending yet) waits until it is complete: until its line ending
  arrives, or until the file has not changed for ``settle`` seconds and the line parses.
* A whole-file record is read once its size and time have not changed for ``settle`` seconds, and
  again only when it changes.
* Every entry comes with the position just after it (:class:`~tutorloop.store.FileOffset`): a
  caller that keeps the position of the last entry it has handled resumes there after a restart
  (:meth:`Follower.resume`). A malformed line or file is a :class:`~tutorloop.errors.Problem`
  naming file, line and field, yielded once: the position moves past it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from tutorloop.errors import Problem
from tutorloop.load.fingerprint import input_files
from tutorloop.load.items import Loaded
from tutorloop.load.lines import JsonProblem, decode_line, max_line_bytes, parse_json
from tutorloop.load.sessions import iter_loaded, parse_record
from tutorloop.store import FileOffset

__all__ = ["LINE_SUFFIXES", "Followed", "Follower"]

LINE_SUFFIXES = (".jsonl", ".ndjson")
"""Files read line by line as they grow; any other session file is one record, read whole."""
_READ_BYTES = 8 << 20


@dataclass(frozen=True, slots=True)
class Followed:
    """One entry read from a followed file, and the file's position once it is handled.

    ``position`` is None for an entry that shares its line (or file) with entries after it: the
    position comes with the last one.
    """

    entry: Loaded | None
    """What was read; None for a line that holds nothing (a blank line): only its position."""
    position: FileOffset | None


class Follower:
    """Reads what is new in a folder at each :meth:`poll`.

    Args:
        folder: the folder to follow (recursively; hidden files and folders are left alone).
        settle: seconds a file must stay unchanged before a whole-file record or an unterminated
            last line is read.
        clock: a monotonic clock (tests pass their own).
    """

    def __init__(
        self,
        folder: str | Path,
        *,
        settle: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.folder = Path(folder)
        self.settle = settle
        self.clock = clock
        self.positions: dict[str, FileOffset] = {}
        self._changed: dict[str, tuple[int, float, float]] = {}
        self._skipping: set[str] = set()
        self.more = False
        """Whether the last poll left data unread (poll again at once)."""

    def resume(self, positions: Mapping[str, FileOffset]) -> None:
        """Start from ``positions`` (those a previous follower's caller kept)."""
        self.positions.update(positions)

    def poll(self) -> Iterator[Followed]:
        """Everything new since the last poll, file by file in load order."""
        self.more = False
        if not self.folder.is_dir():
            return
        for file in input_files([self.folder]):
            try:
                stat = file.stat()
            except OSError:
                continue  # gone since the scan
            key = str(file)
            if file.suffix in LINE_SUFFIXES:
                yield from self._lines(file, key, stat.st_size, stat.st_mtime)
            else:
                yield from self._whole(file, key, stat.st_size, stat.st_mtime)

    def _stable(self, key: str, size: int, mtime: float) -> bool:
        """Whether the file has kept this size and time for ``settle`` seconds."""
        now = self.clock()
        seen = self._changed.get(key)
        if seen is None or seen[:2] != (size, mtime):
            self._changed[key] = (size, mtime, now)
            return self.settle <= 0
        return now - seen[2] >= self.settle

    def _whole(self, file: Path, key: str, size: int, mtime: float) -> Iterator[Followed]:
        known = self.positions.get(key)
        if known is not None and (known.size, known.mtime) == (size, mtime):
            return
        if not self._stable(key, size, mtime):
            return
        position = FileOffset(key, size, 0, size, mtime)
        self.positions[key] = position
        entries = list(iter_loaded([file]))
        for index, entry in enumerate(entries):
            yield Followed(entry, position if index == len(entries) - 1 else None)
        if not entries:
            yield Followed(Problem(key, "the file holds no record"), position)

    def _lines(self, file: Path, key: str, size: int, mtime: float) -> Iterator[Followed]:
        known = self.positions.get(key) or FileOffset(key, 0, 0, 0, 0.0)
        if size == known.offset:
            return
        if size < known.offset:
            yield Followed(
                Problem(
                    key,
                    f"the file shrank to {size:,} bytes (it was read to {known.offset:,}); "
                    "reading it again from the start",
                    hint="append to a followed file; write a new file instead of rewriting one",
                ),
                None,
            )
            known = FileOffset(key, 0, 0, size, mtime)
            self.positions[key] = known
        try:
            with open(file, "rb") as handle:
                handle.seek(known.offset)
                data = handle.read(min(_READ_BYTES, size - known.offset))
        except OSError as exc:
            problem = Problem(key, f"cannot read the file: {exc.strerror or exc}")
            yield Followed(problem, FileOffset(key, known.offset, known.line, size, mtime))
            return
        offset, line = known.offset, known.line
        end = data.rfind(b"\n") + 1
        complete, rest = data[:end], data[end:]
        if known.offset + len(data) < size:
            self.more = True
        for raw in complete.split(b"\n")[:-1]:
            offset += len(raw) + 1
            line += 1
            position = FileOffset(key, offset, line, size, mtime)
            if key in self._skipping:
                self._skipping.discard(key)
                continue
            yield from self._record(raw.removesuffix(b"\r"), key, line, position)
        if not rest or self.more:
            self.positions[key] = FileOffset(key, offset, line, size, mtime)
            return
        cap = max_line_bytes()
        if len(rest) > cap:
            self._skipping.add(key)
            problem = Problem(
                key,
                f"the line is over the limit of {cap:,} bytes",
                line=line + 1,
                hint="split the record, or raise the limit with TUTORLOOP_MAX_LINE_BYTES",
            )
            offset += len(rest)
            yield Followed(problem, FileOffset(key, offset, line, size, mtime))
        elif self._stable(key, size, mtime) and _parses(rest):
            # the writer is done with an unterminated last line: read it as complete
            offset += len(rest)
            line += 1
            yield from self._record(rest, key, line, FileOffset(key, offset, line, size, mtime))
        self.positions[key] = FileOffset(key, offset, line, size, mtime)

    def _record(self, raw: bytes, key: str, line: int, position: FileOffset) -> Iterator[Followed]:
        decoded = decode_line(raw, key, line)
        if isinstance(decoded, Problem):
            yield Followed(decoded, position)
            return
        entries = list(parse_record(decoded.text, key, line=line))
        if not entries:  # a blank line
            yield Followed(None, position)
            return
        for index, entry in enumerate(entries):
            yield Followed(entry, position if index == len(entries) - 1 else None)


def _parses(raw: bytes) -> bool:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return not isinstance(parse_json(text), JsonProblem)
