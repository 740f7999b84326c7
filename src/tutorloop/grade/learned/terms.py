"""The learned graders' text analyzers, remembering each text's terms across fits.

Cross-validation fits the same responses again and again (outer folds × inner folds × members,
and the learning curve), and scikit-learn's vectorizers split every text into its words, word
pairs or character n-grams at every fit: about a third of a CV's time. :class:`Terms` is the
vectorizer's ``analyzer``: the same terms scikit-learn's own analyzer gives, each text's kept in
a bounded table shared by every vectorizer of the process with the same settings. A fitted model
pickles only the kind of analyzer, never the table.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

__all__ = ["TERM_KINDS", "Terms"]

TERM_KINDS: dict[str, dict[str, Any]] = {
    "words": {"ngram_range": (1, 2)},
    "history": {},
    "chars": {"analyzer": "char_wb", "ngram_range": (2, 5)},
}
"""Analyzer settings by kind, as ``CountVectorizer`` takes them."""

_MOST_TEXTS = 20_000
"""Texts remembered per kind (the table is emptied when full)."""

_tables: dict[str, dict[str, tuple[str, ...]]] = {}
_analyzers: dict[str, Callable[[str], list[str]]] = {}


class Terms:
    """A picklable analyzer of one kind (:data:`TERM_KINDS`) with a shared memory of texts."""

    def __init__(self, kind: str) -> None:
        """Analyze as ``CountVectorizer(**TERM_KINDS[kind])`` does."""
        if kind not in TERM_KINDS:
            raise ValueError(f"unknown kind of terms {kind!r}: one of {sorted(TERM_KINDS)}")
        self.kind = kind

    def __call__(self, text: str) -> tuple[str, ...]:
        """The terms of ``text``, in scikit-learn's order."""
        table = _tables.setdefault(self.kind, {})
        terms = table.get(text)
        if terms is None:
            terms = tuple(map(sys.intern, _analyzer(self.kind)(text)))
            if len(table) >= _MOST_TEXTS:
                table.clear()
            table[text] = terms
        return terms

    def __eq__(self, other: object) -> bool:
        """Analyzers of the same kind are interchangeable."""
        return isinstance(other, Terms) and other.kind == self.kind

    def __hash__(self) -> int:
        """By kind."""
        return hash(("Terms", self.kind))

    def __repr__(self) -> str:
        """``Terms('words')``."""
        return f"Terms({self.kind!r})"


def _analyzer(kind: str) -> Callable[[str], list[str]]:
    analyzer = _analyzers.get(kind)
    if analyzer is None:
        from sklearn.feature_extraction.text import CountVectorizer

        analyzer = _analyzers[kind] = CountVectorizer(**TERM_KINDS[kind]).build_analyzer()
    return analyzer
