r"""One pass over a text finds every cue's anchors; each cue then runs only what can match.

Every pattern of every cue list has literals that each of its matches must contain (see
:func:`~.anchors.required_sets`): ``\bhave you (?:ever )?used\b`` needs ``have you `` and
``used``. A :class:`CueScanner` puts all those literals, of all cues, into one Aho-Corasick
automaton, so a single pass over a lower-cased text says which literals occur (a bit mask,
:meth:`CueScanner.scan`), instead of one substring search per literal and cue.

A search then runs only the patterns whose literals are all present, joined in their original
order into one regex (compiled once per set of patterns and kept). That regex finds exactly what
the cue's whole alternation finds: a pattern none of whose matches can occur in the text is
never the leftmost match. Lower-casing maps each character to the one ``re.IGNORECASE`` compares
with only for ASCII text, so for any other text a cue keeps the plain rule: its whole regex runs
when any of its anchors occurs.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import ahocorasick

from tutorloop.grade.heuristics.anchors import Cue, required_sets

LIMIT = 4096
"""Compiled pattern subsets kept per scanner (emptied when full)."""


def _extra_cases() -> str:
    """Non-ASCII characters ``re.IGNORECASE`` matches beyond lower-casing (``ſ``, ``K``, ``µ``)."""
    try:
        table: dict[int, tuple[int, ...]] = importlib.import_module("re._casefix")._EXTRA_CASES
    except (ImportError, AttributeError):  # pragma: no cover - other Python versions
        return ""
    found = {chr(c) for key, values in table.items() for c in (key, *values) if c > 127}
    return "".join(sorted(found))


_EXTRA = _extra_cases()
_CASED = re.compile(r"[^\W\d_a-zA-Z]" + (f"|[{re.escape(_EXTRA)}]" if _EXTRA else ""))
"""A non-ASCII letter (or a character with special case folding): lower-casing may differ
from what ``re.IGNORECASE`` compares, so the literals found are no proof."""


_REFERS = re.compile(r"\\[1-9]|\(\?P=|\(\?\(")
"""A group reference: numbered groups move when patterns are left out of the alternation."""


def lowers_exactly(text: str) -> bool:
    """Whether ``text.lower()`` shows every literal ``re.IGNORECASE`` would match in ``text``."""
    return text.isascii() or _CASED.search(text) is None


@dataclass(frozen=True, slots=True)
class _Plan:
    """How one cue is searched."""

    cue: Cue
    parts: tuple[tuple[int, tuple[int, ...]], ...]
    """Per pattern, in order: its bit among the cue's patterns and the anchor masks it needs."""
    union: int | None
    """Mask of the cue's own anchors (:attr:`Cue.anchors`); None when it has none."""
    relevant: int
    """Mask of every anchor any of the cue's patterns needs."""
    always: int
    """The patterns that need no anchor (bits among the cue's patterns)."""
    everything: int
    """Every pattern of the cue (bits among its patterns)."""
    exact: bool
    """Whether the cue's literals are plain enough to restrict it to its possible patterns."""


class CueScanner:
    """Every cue's anchors in one automaton, and each cue's search restricted to what can match."""

    def __init__(self, cues: Mapping[str, Cue]) -> None:
        self._cues = dict(cues)
        bits: dict[str, int] = {}

        def mask(anchors: frozenset[str] | tuple[str, ...]) -> int:
            value = 0
            for anchor in anchors:
                value |= bits.setdefault(anchor, 1 << len(bits))
            return value

        self._plans: dict[str, _Plan] = {}
        for name, cue in cues.items():
            parts = []
            always = relevant = 0
            exact = True
            for i, source in enumerate(cue.sources):
                sets = required_sets(source, cue.pattern.flags)
                exact = exact and all(lowers_exactly(a) for found in sets for a in found)
                exact = exact and not _REFERS.search(source)
                needs = tuple(mask(found) for found in sets)
                parts.append((1 << i, needs))
                if not needs:
                    always |= 1 << i
                for need in needs:
                    relevant |= need
            union = None if cue.anchors is None else mask(cue.anchors)
            everything = (1 << len(cue.sources)) - 1
            self._plans[name] = _Plan(cue, tuple(parts), union, relevant, always, everything, exact)
        self._automaton = ahocorasick.Automaton()
        for anchor, bit in bits.items():
            self._automaton.add_word(anchor, bit)
        self._empty = not bits
        if not self._empty:
            self._automaton.make_automaton()
        self._subsets: dict[tuple[str, int], re.Pattern[str] | None] = {}

    def __reduce__(self) -> tuple[type[CueScanner], tuple[dict[str, Cue]]]:
        """Pickled as its cues (the automaton is rebuilt)."""
        return (CueScanner, (self._cues,))

    def scan(self, lowered: str) -> int:
        """The mask of the anchors that occur in ``lowered`` (a lower-cased text)."""
        if self._empty:
            return 0
        present = 0
        for _, bit in self._automaton.iter(lowered):
            present |= bit
        return present

    def anchors_of(self, cues: tuple[str, ...]) -> int | None:
        """The mask of every anchor of ``cues``; None when one of them has no anchors.

        A text whose scan shares no bit with it matches none of the cues.
        """
        union = 0
        for cue in cues:
            anchors = self._plans[cue].union
            if anchors is None:
                return None
            union |= anchors
        return union

    def search(self, cue: str, text: str, present: int, exact: bool) -> re.Match[str] | None:
        """The first match of ``cue`` in ``text`` whose anchors ``present`` were scanned.

        ``exact`` says that lower-casing is exact for ``text`` (it is ASCII).
        """
        regex = self._regex(cue, present, exact)
        return None if regex is None else regex.search(text)

    def finditer(self, cue: str, text: str, present: int, exact: bool) -> Iterator[re.Match[str]]:
        """Every match of ``cue`` in ``text`` (see :meth:`search`)."""
        regex = self._regex(cue, present, exact)
        if regex is not None:
            yield from regex.finditer(text)

    def _regex(self, cue: str, present: int, exact: bool) -> re.Pattern[str] | None:
        """The regex to run for ``cue`` on a text with anchors ``present``; None: no match."""
        plan = self._plans[cue]
        if plan.union is not None and not plan.union & present:
            return None  # no anchor of the cue at all
        if not exact or not plan.exact or not plan.parts:
            return plan.cue.pattern
        key = (cue, present & plan.relevant)
        if key in self._subsets:
            return self._subsets[key]
        if len(self._subsets) >= LIMIT:
            self._subsets.clear()
        found = self._subsets[key] = self._compile(plan, present)
        return found

    @staticmethod
    def _compile(plan: _Plan, present: int) -> re.Pattern[str] | None:
        chosen = plan.always
        for bit, needs in plan.parts:
            if all(need & present for need in needs):
                chosen |= bit
        if not chosen:
            return None
        if chosen == plan.everything:
            return plan.cue.pattern
        sources = plan.cue.sources
        joined = "|".join(f"(?:{s})" for i, s in enumerate(sources) if chosen >> i & 1)
        return re.compile(joined, plan.cue.pattern.flags)
