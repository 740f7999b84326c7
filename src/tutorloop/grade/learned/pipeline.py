"""The learned grader's scikit-learn pipelines: TF-IDF of the turn in context + rule signals.

Features come only from what exists at prediction time (:func:`rows_of` reads each item through
:func:`~tutorloop.grade.turn.prediction_input`: the history and the response, never a reference
solution or a data set's metadata): word 1–2-grams of the response, character 2–5-grams of the
response, words of the end of the dialogue history (the student's last turn matters most), the
dialogue signals (questions, mistake cues, praise, a result stated that nobody stated before)
and the response-in-context features (how much of the learner's work the turn quotes or names,
what is new to the dialogue, how it opens). Each classifier is a class-balanced logistic
regression, so rare labels ("To some extent", "No") are not drowned by the majority.

With ``ensemble`` (the default) the grader averages three differently-featured members
(:data:`MEMBERS`: words; words + character n-grams; words + signals and context features), or,
with ``select_members``, members chosen from :data:`POOL` on inner folds; without ``ensemble``,
one pipeline whose features ``char_ngrams`` and ``signals`` choose.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from tutorloop.grade.learned.terms import Terms
from tutorloop.grade.turn import dialogue_signals, prediction_input, response_features
from tutorloop.records import TurnItem

Row = dict[str, Any]


class Member(NamedTuple):
    """What one ensemble member reads beyond the response's words and the history tail."""

    chars: bool = False
    """Character 2–5-grams of the response."""
    signals: bool = False
    """The dialogue signals and the response-in-context features."""
    factor: float = 1.0
    """Factor on :attr:`TrainConfig.c` (below 1: stronger regularisation)."""


POOL: dict[str, Member] = {
    "words": Member(),
    "words+chars": Member(chars=True),
    "words+signals": Member(signals=True),
    "words+chars+signals": Member(chars=True, signals=True),
    "words/strong": Member(factor=0.25),
    "words+signals/strong": Member(signals=True, factor=0.25),
    "words+chars/weak": Member(chars=True, factor=4.0),
    "words+signals/weak": Member(signals=True, factor=4.0),
}
"""Candidate members by name (``strong``: 4× the regularisation, ``weak``: a quarter of it)."""

MEMBERS = ("words", "words+chars", "words+signals")
"""The fixed ensemble's members (``select_members=False``)."""


class TrainConfig(BaseModel):
    """How a learned grader is built and cross-validated."""

    model_config = ConfigDict(extra="forbid")

    history_chars: int = Field(default=400, ge=0)
    """How much of the end of the dialogue history the classifier reads."""
    min_df: int = Field(default=1, ge=1)
    """Ignore words, word pairs and character n-grams seen in fewer training turns than this."""
    c: float = Field(default=2.0, gt=0)
    """Inverse regularisation strength of the logistic regression."""
    char_ngrams: bool = False
    """Add character 2–5-grams of the response (slower; about +0.005 macro-F1 on MRBench)."""
    signals: bool = True
    """Add the dialogue signals as features."""
    ensemble: bool = True
    """Average several members and tune per-class decision weights (else one model)."""
    select_members: bool = False
    """Choose the ensemble's members from :data:`POOL` on inner-fold probabilities instead of
    the three :data:`MEMBERS` (about 2.5 times the fitting time, and no better on MRBench)."""
    max_members: int = Field(default=5, ge=1)
    """At most this many picks (with repetition) when members are selected."""
    inner_folds: int = Field(default=4, ge=2)
    """Dialogue-grouped folds, inside the training data, on which the decision weights are tuned."""
    folds: int = Field(default=5, ge=2)
    seed: int = 0


def rows_of(items: Sequence[TurnItem], history_chars: int) -> list[Row]:
    """The classifier's input: one dict per item (response, history tail, dialogue signals).

    Each item is first reduced to its :func:`~tutorloop.grade.turn.prediction_input`, so no
    feature can read a field that a turn lacks when it is graded.
    """
    rows = []
    for item in items:
        seen = prediction_input(item)
        rows.append(
            {
                "response": seen.response,
                "history": seen.history[-history_chars:] if history_chars else "",
                "signals": dialogue_signals(seen.history, seen.response),
                "context": response_features(seen.history, seen.response),
            }
        )
    return rows


def pick_response(rows: Sequence[Row]) -> list[str]:
    """The responses of ``rows`` (a pipeline step; module-level so the model pickles)."""
    return [row["response"] for row in rows]


def pick_history(rows: Sequence[Row]) -> list[str]:
    """The history tails of ``rows``."""
    return [row["history"] for row in rows]


def pick_signals(rows: Sequence[Row]) -> list[dict[str, float]]:
    """The rule signals of ``rows``."""
    return [row["signals"] for row in rows]


def pick_context(rows: Sequence[Row]) -> list[dict[str, float]]:
    """The dialogue signals and the response-in-context features of ``rows``, merged."""
    return [{**row["signals"], **row["context"]} for row in rows]


def build_pipeline(config: TrainConfig, member: str | None = None) -> Any:
    """An unfitted scikit-learn ``Pipeline`` for ``config`` (or for one ensemble ``member``)."""
    spec = POOL[member] if member else Member(config.char_ngrams, config.signals)
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline
    from sklearn.preprocessing import FunctionTransformer, MaxAbsScaler

    def text(pick: Any, vectorizer: Any) -> Any:
        return Pipeline([("pick", FunctionTransformer(pick)), ("tfidf", vectorizer)])

    parts: list[tuple[str, Any]] = [
        (
            "words",
            text(
                pick_response,
                TfidfVectorizer(analyzer=Terms("words"), sublinear_tf=True, min_df=config.min_df),
            ),
        ),
    ]
    if spec.chars:
        chars = TfidfVectorizer(analyzer=Terms("chars"), sublinear_tf=True, min_df=config.min_df)
        parts.append(("chars", text(pick_response, chars)))
    if config.history_chars:
        parts.append(
            (
                "history",
                text(
                    pick_history,
                    TfidfVectorizer(
                        analyzer=Terms("history"), sublinear_tf=True, min_df=config.min_df
                    ),
                ),
            )
        )
    if spec.signals:
        steps = [("pick", FunctionTransformer(pick_context)), ("vec", DictVectorizer())]
        parts.append(("signals", Pipeline([*steps, ("scale", MaxAbsScaler())])))
    classifier = LogisticRegression(
        class_weight="balanced", max_iter=3000, C=config.c * spec.factor, solver="newton-cg"
    )
    return Pipeline([("features", FeatureUnion(parts)), ("clf", classifier)])
