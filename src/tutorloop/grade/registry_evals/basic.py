"""The basic registry eval classes: ``Match``, ``Includes``, ``FuzzyMatch`` and ``JsonMatch``.

Each checks one sampled completion against the sample's ``ideal`` (a string or a list of them),
with the semantics openai/evals documents for its basic eval templates:

* ``Match``: the completion (leading whitespace ignored) starts with one of the ideals
  (``picked`` is the first that does).
* ``Includes``: one of the ideals occurs in the completion.
* ``FuzzyMatch``: after normalising both (lower case, no punctuation, no articles ``a``/``an``/
  ``the``, single spaces) one contains the other, either way; an empty text matches only an
  empty text. Also reports ``f1_score``: the best token-overlap F1 against any ideal.
* ``JsonMatch``: the completion parses as JSON equal to one of the ideals (each ideal is JSON
  text); objects compare key by key over the union of keys (a missing value never matches),
  lists element by element with equal lengths. A completion that is not JSON never matches.
"""

from __future__ import annotations

import json
import re
import string
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

__all__ = [
    "FuzzyMatch",
    "Includes",
    "JsonMatch",
    "Match",
    "SampleVerdict",
    "f1_score",
    "fuzzy_match",
    "ideals_of",
    "json_equal",
    "normalize",
]

_PUNCTUATION = frozenset(string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b")


@dataclass(frozen=True)
class SampleVerdict:
    """One sample's verdict: matched or not, what matched, and the sample's metrics."""

    passed: bool
    picked: str | None = None
    """The ideal that matched (``Match``), or the choice the judge made (model-graded)."""
    metrics: dict[str, float] = field(default_factory=dict)
    """Per-sample metrics the final report averages (``accuracy``, ``f1_score``, ``score``)."""
    reason: str = ""


def ideals_of(sample: Mapping[str, Any]) -> list[str]:
    """The sample's ``ideal`` as a list (a single string becomes a list of one)."""
    ideal = sample.get("ideal")
    if ideal is None:
        return []
    return [ideal] if isinstance(ideal, str) else [str(x) for x in ideal]


def normalize(text: str) -> str:
    """Lower case, punctuation removed, articles removed, whitespace collapsed."""
    lowered = "".join(c for c in text.lower() if c not in _PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", lowered).split())


def fuzzy_match(first: str, second: str) -> bool:
    """Whether one normalised text contains the other (empty matches only empty)."""
    a, b = normalize(first), normalize(second)
    if not a or not b:
        return a == b
    return a in b or b in a


def _f1(prediction: str, truth: str) -> float:
    predicted = normalize(prediction).split()
    expected = normalize(truth).split()
    common = sum((Counter(predicted) & Counter(expected)).values())
    if common == 0:
        return 0.0
    precision = common / len(predicted)
    recall = common / len(expected)
    return 2 * precision * recall / (precision + recall)


def f1_score(prediction: str, answers: list[str]) -> float:
    """The best token-overlap F1 of ``prediction`` against any of ``answers`` (0 without any)."""
    return max((_f1(prediction, a) for a in answers), default=0.0)


def json_equal(sampled: Any, correct: Any) -> bool:
    """Whether two decoded JSON values match (see the module docstring); None never matches."""
    if sampled is None or correct is None:
        return False
    if isinstance(sampled, dict):
        if not isinstance(correct, dict):
            return False
        keys = set(sampled) | set(correct)
        return all(json_equal(sampled.get(k), correct.get(k)) for k in keys)
    if isinstance(sampled, list):
        if not isinstance(correct, list) or len(sampled) != len(correct):
            return False
        return all(json_equal(s, c) for s, c in zip(sampled, correct, strict=True))
    return bool(sampled == correct)


@dataclass(frozen=True)
class Match:
    """The completion starts with an ideal."""

    KIND: ClassVar[str] = "Match"

    def check(self, sampled: str, sample: Mapping[str, Any]) -> SampleVerdict:
        """The verdict on ``sampled`` (leading whitespace ignored) for ``sample``."""
        ideals = ideals_of(sample)
        text = sampled.lstrip()
        picked = next((i for i in ideals if text.startswith(i)), None)
        passed = picked is not None
        reason = f"starts with {picked!r}" if passed else f"starts with none of {ideals!r}"
        return SampleVerdict(passed, picked, {"accuracy": float(passed)}, reason)


@dataclass(frozen=True)
class Includes:
    """An ideal occurs in the completion (any case, with ``ignore_case``)."""

    KIND: ClassVar[str] = "Includes"

    ignore_case: bool = False

    def check(self, sampled: str, sample: Mapping[str, Any]) -> SampleVerdict:
        """The verdict on ``sampled`` for ``sample``."""
        ideals = ideals_of(sample)
        text = sampled.strip()
        if self.ignore_case:
            picked = next((i for i in ideals if i.lower() in text.lower()), None)
        else:
            picked = next((i for i in ideals if i in text), None)
        passed = picked is not None
        reason = f"includes {picked!r}" if passed else f"includes none of {ideals!r}"
        return SampleVerdict(passed, picked, {"accuracy": float(passed)}, reason)


@dataclass(frozen=True)
class FuzzyMatch:
    """Normalised containment either way; ``f1_score`` besides."""

    KIND: ClassVar[str] = "FuzzyMatch"

    def check(self, sampled: str, sample: Mapping[str, Any]) -> SampleVerdict:
        """The verdict on ``sampled`` for ``sample``."""
        ideals = ideals_of(sample)
        text = sampled.strip()
        picked = next((i for i in ideals if fuzzy_match(text, i)), None)
        passed = picked is not None
        metrics = {"accuracy": float(passed), "f1_score": f1_score(text, ideals)}
        reason = f"fuzzy-matches {picked!r}" if passed else f"fuzzy-matches none of {ideals!r}"
        return SampleVerdict(passed, picked, metrics, reason)


@dataclass(frozen=True)
class JsonMatch:
    """The completion is JSON equal to an ideal's JSON."""

    KIND: ClassVar[str] = "JsonMatch"

    def check(self, sampled: str, sample: Mapping[str, Any]) -> SampleVerdict:
        """The verdict on ``sampled`` for ``sample``.

        Raises:
            ValueError: an ideal is not JSON text (the sample is wrong, not the completion).
        """
        ideals = ideals_of(sample)
        try:
            correct = [json.loads(i) for i in ideals]
        except ValueError as exc:
            raise ValueError(f"an ideal of a JsonMatch sample is not JSON: {exc}") from exc
        try:
            value: Any = json.loads(sampled)
        except ValueError:
            value = None
        picked = next(
            (i for i, c in zip(ideals, correct, strict=True) if json_equal(value, c)), None
        )
        passed = picked is not None
        reason = "JSON equal to an ideal" if passed else (
            "not JSON" if value is None else "JSON equal to no ideal"
        )  # fmt: skip
        return SampleVerdict(passed, picked, {"accuracy": float(passed)}, reason)
