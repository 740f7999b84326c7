"""The learned graders' analyzers give scikit-learn's own terms, and pickle without their table."""

from __future__ import annotations

import pickle

import pytest
from sklearn.feature_extraction.text import CountVectorizer

from tutorloop.grade.learned.terms import TERM_KINDS, Terms

TEXTS = [
    "Can you show me how you got 42? Check step 2 again.",
    "Great job! Now try 3 × 4 = 12, then subtract.",
    "",
    "Émile's answer: x² − 1 … almost.",
]


@pytest.mark.parametrize("kind", sorted(TERM_KINDS))
def test_the_same_terms_as_scikit_learn(kind: str) -> None:
    reference = CountVectorizer(**TERM_KINDS[kind]).build_analyzer()
    terms = Terms(kind)
    for text in TEXTS + TEXTS:  # the second time from the table
        assert list(terms(text)) == reference(text)


def test_a_pickled_analyzer_is_its_kind_alone() -> None:
    terms = Terms("chars")
    terms("a long response whose character n-grams fill the table")
    restored = pickle.loads(pickle.dumps(terms))
    assert restored == terms and vars(restored) == {"kind": "chars"}
    assert len(pickle.dumps(terms)) < 200


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown kind of terms"):
        Terms("sentences")
