"""Evidence spans of failed checks, cut out of a turn's text as marked and unmarked segments."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise


@dataclass(frozen=True, slots=True)
class Segment:
    """A run of a turn's text; ``checks`` names the failed checks whose evidence it is."""

    text: str
    checks: tuple[str, ...] = ()
    ends: tuple[str, ...] = ()
    """The checks whose evidence ends with this segment (labelled once, after it)."""

    @property
    def marked(self) -> bool:
        """True for evidence (shown in ``<mark>``)."""
        return bool(self.checks)


@dataclass(frozen=True, slots=True)
class Span:
    """Evidence of one failed check in one turn: ``text[start:end]``, and the text it quoted."""

    check: str
    start: int
    end: int
    quoted: str


def locate(content: str, span: Span) -> tuple[int, int] | None:
    """Where ``span`` is in ``content``: its own offsets if they still hold, else the quote's.

    The offsets hold when the text there starts with the quoted text (a long quote is cut to
    200 characters). When the text moved (a session file edited since grading) the quote is
    looked up; a quote that is no longer there is not highlighted at all.
    """
    start, end = span.start, min(span.end, len(content))
    quoted = span.quoted
    if start < end and (not quoted or content[start:end].startswith(quoted[: end - start])):
        return start, end
    if quoted and (found := content.find(quoted)) >= 0:
        return found, found + len(quoted)
    return None


def segments(content: str, spans: Iterable[Span]) -> list[Segment]:
    """``content`` cut at every span boundary; overlapping spans name all of their checks."""
    located = [(where, span.check) for span in spans if (where := locate(content, span))]
    if not located:
        return [Segment(content)]
    cuts = sorted({0, len(content), *(p for (s, e), _ in located for p in (s, e))})
    out: list[Segment] = []
    for left, right in pairwise(cuts):
        if left == right:
            continue
        names = tuple(dict.fromkeys(c for (s, e), c in located if s <= left and right <= e))
        ends = tuple(dict.fromkeys(c for (s, e), c in located if e == right))
        piece = content[left:right]
        if out and out[-1].checks == names and not out[-1].ends:
            out[-1] = Segment(out[-1].text + piece, names, ends)
        else:
            out.append(Segment(piece, names, ends))
    return out
