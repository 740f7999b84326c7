"""Sessions assembled from the parts a log holds: calls, spans, runs, observations, rows.

A part is one logged exchange with the messages it carries. A part without a group is a whole
session (an OpenAI chat line). Parts with a group (a conversation, thread, session or trace id)
are gathered until the end of the file, ordered by time, and made into one session:

- a part with ``chained=False`` carries the whole history so far (a chat log repeats it in every
  call): the group keeps only its longest one, so memory holds one history per conversation;
- a part with ``chained=True`` carries only what is new (a CSV row, a Responses call continuing
  ``previous_response_id``): the group keeps them all and joins them in order.

When a group has both, the longer result wins. One bad part spoils its group: the problem is
reported where it is, and that session is not imported; every other session is.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from tutorloop.errors import Problem
from tutorloop.load.importers.messages import Fault, Message, build_session
from tutorloop.records import Session


@dataclass(slots=True)
class Part:
    """One exchange read from a log record."""

    messages: list[Message]
    line: int | None
    """The line (JSONL, CSV) the part was read from."""
    group: str | None = None
    """The conversation it belongs to; None when the part is a whole session."""
    order: Any = None
    """Its time (a number or an ISO string), to order the parts of a group."""
    chained: bool = False
    session_id: str | None = None
    domain: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    absorbs: str | None = None
    """A group read earlier that turns out to continue this part's group (a chain read out of
    order: a response met after the response that continues it)."""


@dataclass(frozen=True, slots=True)
class Imported:
    """A session an importer made, and where its first record is."""

    session: Session
    origin: str
    """``path`` or ``path:line``."""


@dataclass(slots=True)
class _Group:
    first: Part
    best: Part | None = None
    chain: list[Part] = field(default_factory=list)
    spoiled: bool = False


class Assembler:
    """Turns the parts of one file into sessions (see the module's docstring)."""

    def __init__(self, fmt: str, path: str, domain: str) -> None:
        """Assemble the parts of ``path`` (format ``fmt``; ``domain`` when a log names none)."""
        self.fmt = fmt
        self.path = path
        self.domain = domain
        self.groups: dict[str, _Group] = {}
        self.aliases: dict[str, str] = {}
        self.standalone = 0

    def add(self, part: Part) -> Iterator[Imported | Problem]:
        """Take one part: its problems now, its session now (no group) or at :meth:`finish`."""
        if part.group is not None:
            part.group = self.aliases.get(part.group, part.group)
            self._absorb(part)
        group = self.groups.get(part.group) if part.group is not None else None
        if part.faults:
            suffix = f"; session '{part.group}' is not imported" if part.group else ""
            for fault in part.faults:
                hint = fault.hint + suffix if fault.hint else suffix.removeprefix("; ") or None
                yield Problem(self.path, fault.message, line=part.line, field=fault.field or None,
                              hint=hint)  # fmt: skip
            if part.group is not None:
                if group is None:
                    group = self.groups[part.group] = _Group(part)
                group.spoiled = True
                group.best, group.chain = None, []
            return
        if part.group is None:
            self.standalone += 1
            yield from self._make(part, part.messages, part.session_id)
            return
        if group is None:
            group = self.groups[part.group] = _Group(part)
        if group.spoiled:
            return
        if part.chained:
            group.chain.append(part)
        elif group.best is None or len(part.messages) >= len(group.best.messages):
            group.best = part
        for key, value in part.metadata.items():
            group.first.metadata.setdefault(key, value)
        if group.first.domain is None:
            group.first.domain = part.domain
        if group.first.session_id is None:
            group.first.session_id = part.session_id

    def _absorb(self, part: Part) -> None:
        key, other = part.group, part.absorbs
        if key is None or other is None or other == key or other not in self.groups:
            return
        moved = self.groups.pop(other)
        self.aliases[other] = key
        for alias, target in self.aliases.items():
            if target == other:
                self.aliases[alias] = key
        group = self.groups.get(key)
        if group is None:
            self.groups[key] = moved
            return
        group.spoiled = group.spoiled or moved.spoiled
        group.chain += moved.chain
        if moved.best and (not group.best or len(moved.best.messages) > len(group.best.messages)):
            group.best = moved.best

    def finish(self) -> Iterator[Imported | Problem]:
        """The sessions of every group, in the order their first parts were read."""
        for key, group in self.groups.items():
            if group.spoiled:
                continue
            chain = sorted(group.chain, key=_order)
            joined = [m for p in chain for m in p.messages]
            history = group.best.messages if group.best else []
            messages = history if len(history) > len(joined) else joined
            yield from self._make(group.first, messages, group.first.session_id or key)
        self.groups.clear()

    def _make(
        self, part: Part, messages: list[Message], session_id: str | None
    ) -> Iterator[Imported | Problem]:
        origin = self.path if part.line is None else f"{self.path}:{part.line}"
        source = {"format": self.fmt, "origin": origin}
        if part.group is not None:
            source["group"] = part.group
        sid = session_id or f"{_stem(self.path)}-{part.line or self.standalone}"
        made = build_session(
            messages,
            session_id=sid,
            domain=part.domain or self.domain,
            metadata={**part.metadata, "imported_from": source},
        )
        if isinstance(made, Fault):
            yield Problem(self.path, f"session '{sid}': {made.message}", line=part.line,
                          field=made.field or None, hint=made.hint)  # fmt: skip
        else:
            yield Imported(made, origin)


def _order(part: Part) -> tuple[int, Any, int]:
    value = part.order
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (0, value, part.line or 0)
    if value is None:
        return (2, "", part.line or 0)
    return (1, str(value), part.line or 0)


def _stem(path: str) -> str:
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[0] if "." in name else name
