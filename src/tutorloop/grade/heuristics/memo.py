"""Per-text work of the heuristics, done once per distinct text and kept in bounded caches.

Everything the checks compute from one turn's text alone (the masked prose, sentences, asks,
cue matches, action tags, content words) is the same wherever that text occurs, and tutoring
sessions repeat themselves: greetings, check-ins, templated hints, a tutor model's habits. So a
:class:`FeatureCache` keeps the features of recent texts; a text seen again costs a dictionary
lookup. A text is kept from its second sighting on; each cache holds at most ``limit`` entries
and is emptied when full, so memory stays flat however many sessions are graded. Results never
depend on what is cached.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TypeVar

from tutorloop.grade.heuristics.cues import Cues
from tutorloop.grade.heuristics.text import TurnFeatures, read_features

LIMIT = 2048
"""Entries per cache (tutor texts are a few hundred characters: a few MiB at most)."""

T = TypeVar("T")


@dataclass(slots=True, eq=False)
class LearnerFeatures:
    """What the checks found in one learner text, filled on first use."""

    found: dict[str, re.Match[str] | None] = field(default_factory=dict)
    """Cue searches already made (keyed by cue name)."""
    words: frozenset[str] | None = None
    """Content words of the text (see :mod:`~.progress`)."""
    stuck: bool | None = None
    """Whether the learner says they are stuck."""
    present: int | None = None
    """The cue anchors that occur in the lower-cased text (see :mod:`~.scan`)."""
    exact: bool = False
    """Whether lower-casing is exact for the text (set with ``present``)."""


def _bounded(cache: dict[str, T], limit: int) -> dict[str, T]:
    if len(cache) >= limit:
        cache.clear()
    return cache


class FeatureCache:
    """Bounded caches of tutor-turn features and of learner-text cue matches and words."""

    def __init__(self, cues: Cues, rhetorical_min_tokens: int, limit: int = LIMIT) -> None:
        self.cues = cues
        self.rhetorical_min_tokens = rhetorical_min_tokens
        self.limit = limit
        self._tutor: dict[str, TurnFeatures] = {}
        self._learner: dict[str, LearnerFeatures] = {}
        self._seen: set[int] = set()

    def __reduce__(self) -> tuple[type[FeatureCache], tuple[Cues, int, int]]:
        """Copied or pickled empty: what is cached holds matches, which do not pickle."""
        return (FeatureCache, (self.cues, self.rhetorical_min_tokens, self.limit))

    def tutor(self, text: str) -> TurnFeatures:
        """The features of a tutor turn's ``text``."""
        found = self._tutor.get(text)
        if found is None:
            found = read_features(text, self.cues, self.rhetorical_min_tokens)
            if self._admit(text):
                _bounded(self._tutor, self.limit)[text] = found
        return found

    def learner(self, text: str) -> LearnerFeatures:
        """The features of a learner turn's ``text``."""
        found = self._learner.get(text)
        if found is None:
            found = LearnerFeatures()
            if self._admit(text):
                _bounded(self._learner, self.limit)[text] = found
        return found

    def _admit(self, text: str) -> bool:
        """Keep a text's features from its second sighting on (the first only leaves its hash).

        Text seen once (most of a log of free-form sessions) is never kept, so the caches hold
        no long-lived objects the garbage collector would walk again and again for nothing.
        """
        key = hash(text)
        if key in self._seen:
            return True
        if len(self._seen) >= 8 * self.limit:
            self._seen.clear()
        self._seen.add(key)
        return False
