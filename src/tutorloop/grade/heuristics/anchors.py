r"""Literal anchors of a regular expression: strings one of which every match must contain.

A cue is searched in many short texts; Python's regex engine scans an alternation of ``\\b``
patterns character by character, while ``substring in text`` is a fast C search. So each cue
first checks whether any of its anchors occurs in the lower-cased text and runs the regex only
then. Anchors are read from the parsed pattern; a pattern with no literal of at least three
characters that every match must contain has no anchors and is always searched.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

_p: Any
_c: Any
try:  # the parser behind ``re``; absent or changed, cues simply run without a prefilter
    _p = importlib.import_module("re._parser")
    _c = importlib.import_module("re._constants")
except ImportError:  # pragma: no cover - other Python versions
    _p = _c = None

MIN_ANCHOR = 3


def required_anchors(pattern: str, flags: int = 0) -> frozenset[str] | None:
    """Lower-case literals, one of which is in every match of ``pattern``; None if unknown."""
    if _p is None or _c is None:
        return None
    try:
        parsed = _p.parse(pattern, flags)
    except Exception:
        return None
    return _sequence(list(parsed))


def required_sets(pattern: str, flags: int = 0) -> tuple[frozenset[str], ...]:
    """Every set of lower-case literals that a match of ``pattern`` must draw one from.

    A match contains one literal of each set (all sets at once); an empty tuple when nothing is
    known. Besides literals of :data:`MIN_ANCHOR` characters, a shorter run of punctuation
    (``=``, ``?``, ``:``) counts: it has no case and is rare in prose.
    """
    if _p is None or _c is None:
        return ()
    try:
        parsed = _p.parse(pattern, flags)
    except Exception:
        return ()
    return tuple(_candidates(list(parsed), short=True))


def _is_punctuation(run: list[str]) -> bool:
    return all(not (ch.isalnum() or ch.isspace() or ch == "_") for ch in run)


def _sequence(items: Sequence[tuple[Any, Any]], short: bool = False) -> frozenset[str] | None:
    candidates = _candidates(items, short)
    if not candidates:
        return None
    return max(candidates, key=lambda anchors: (min(map(len, anchors)), -len(anchors)))


def _candidates(items: Sequence[tuple[Any, Any]], short: bool) -> list[frozenset[str]]:
    """Each set of literals one of which every match of ``items`` holds (all sets at once)."""
    assert _c is not None
    candidates: list[frozenset[str]] = []
    run: list[str] = []

    def flush() -> None:
        if len(run) >= MIN_ANCHOR or (run and short and _is_punctuation(run)):
            candidates.append(frozenset({"".join(run).lower()}))
        run.clear()

    for op, arg in items:
        if op is _c.LITERAL:
            run.append(chr(arg))
            continue
        flush()
        found: frozenset[str] | None = None
        inner = None
        if op is _c.SUBPATTERN:
            inner = list(arg[-1])
        elif op is _c.BRANCH:
            branches = [_sequence(list(branch), short) for branch in arg[1]]
            if all(b is not None for b in branches):
                found = frozenset().union(*(b for b in branches if b is not None))
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT) and arg[0] >= 1:
            inner = list(arg[2])
        if inner is not None:
            if short:  # every required set of a required part is required
                candidates.extend(_candidates(inner, short))
            else:
                found = _sequence(inner)
        if found:
            candidates.append(found)
    flush()
    return candidates


@dataclass(frozen=True)
class Cue:
    """A compiled cue list: a regex plus the anchors that must occur for it to match."""

    pattern: re.Pattern[str]
    anchors: tuple[str, ...] | None
    sources: tuple[str, ...] = ()
    """The patterns joined into ``pattern`` (in order), for :mod:`~.scan`; empty if unknown."""

    @classmethod
    def compile(cls, patterns: Sequence[str], flags: int = re.IGNORECASE) -> Cue:
        """One cue from many patterns (any of them may match)."""
        if not patterns:
            return cls(re.compile(r"(?!x)x"), ())
        anchors: set[str] = set()
        for pattern in patterns:
            found = required_anchors(pattern, flags)
            if found is None:
                joined = re.compile("|".join(f"(?:{p})" for p in patterns), flags)
                return cls(joined, None, tuple(patterns))
            anchors |= found
        joined = re.compile("|".join(f"(?:{p})" for p in patterns), flags)
        return cls(joined, tuple(sorted(anchors)), tuple(patterns))

    def may_match(self, lowered: str) -> bool:
        """False when no anchor occurs in ``lowered`` (lower-case text): no match is possible."""
        if self.anchors is None:
            return True
        for anchor in self.anchors:  # noqa: SIM110 - a plain loop is twice as fast as any()
            if anchor in lowered:
                return True
        return False

    def search(self, text: str, lowered: str | None = None) -> re.Match[str] | None:
        """The first match in ``text`` (``lowered`` is ``text.lower()``, if already known)."""
        may = self.may_match(text.lower() if lowered is None else lowered)
        return self.pattern.search(text) if may else None

    def finditer(self, text: str, lowered: str | None = None) -> Iterator[re.Match[str]]:
        """Every match in ``text``."""
        if self.may_match(text.lower() if lowered is None else lowered):
            yield from self.pattern.finditer(text)

    def match(self, text: str) -> re.Match[str] | None:
        """A match at the start of ``text``."""
        return self.pattern.match(text)
