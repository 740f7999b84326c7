"""Whether a session moves: the tutor does not repeat itself, takes up the learner, and teaches.

Surface checks can be satisfied by a tutor that never teaches (the same question every turn,
one word, a recap every turn, a refusal of everything). :func:`makes_progress` looks across
turns instead, and reports every problem it finds with its turns:

* **repetition**: a tutor turn (nearly) equal to an earlier tutor turn, or a recap or check in
  most turns;
* **uptake**: the tutor's reply to a learner's attempt neither reuses what the learner wrote
  (a content word or a number) nor reacts to it;
* **movement toward the goal**: after its opening, the tutor never states something new
  (a non-question sentence bringing words that nobody used before) and the learner never gets
  further (a reply bringing new words or numbers), or the tutor refuses in most turns, or the
  learner says they are stuck in most of their replies.

A failed ``makes_progress`` is the ``no_progress`` failure class and gates the fidelity score
(see :mod:`tutorloop.decide`).
"""

from __future__ import annotations

import re

from rapidfuzz.fuzz import ratio

from tutorloop.grade.heuristics.text import Sentence, TurnText
from tutorloop.grade.heuristics.view import Finding, SessionView, Span, span, whole

REPEAT_SIMILARITY = 0.85
"""Two tutor turns at least this similar (rapidfuzz ratio, 0–1) count as a repetition."""
MIN_TURNS = 3
"""Fewer tutor turns than this are too few to judge progress."""
NEW_WORDS = 3
"""A tutor sentence moves the session when it brings at least this many new content words."""

LEARNER_NEW = 2
"""A learner reply gets further when it brings at least this many new content words or numbers."""

_WORD = re.compile(r"[a-z][a-z']{3,}|\d+(?:\.\d+)?")
_STUCK = re.compile(
    r"\b(?:i don'?t know|i'?m (?:not sure|lost|confused)|no idea|you keep asking|"
    r"(?:didn'?t|haven'?t) (?:cover|learn|explain)(?:ed)? anything|"
    r"still don'?t (?:know|understand|get)|that'?s why i asked)\b|^\s*what\?",
    re.IGNORECASE,
)
_STOP = frozenset(
    [
        "this",
        "that",
        "with",
        "have",
        "what",
        "your",
        "about",
        "there",
        "their",
        "then",
        "than",
        "them",
        "they",
        "when",
        "where",
        "which",
        "would",
        "could",
        "should",
        "will",
        "just",
        "like",
        "into",
        "from",
        "been",
        "were",
        "does",
        "doing",
        "done",
        "make",
        "makes",
        "also",
        "some",
        "more",
        "most",
        "very",
        "much",
        "here",
        "each",
        "other",
        "only",
        "over",
        "such",
        "sure",
        "okay",
        "know",
        "think",
        "want",
        "need",
        "really",
        "because",
        "let's",
        "lets",
        "it's",
        "that's",
        "what's",
    ]
)


def _words(text: str) -> set[str]:
    """Content words (cut to their first five letters, a crude stem) and numbers of ``text``."""
    return {w[:5] for w in _WORD.findall(text.lower()) if w not in _STOP}


def _learner_words(view: SessionView, text: str) -> frozenset[str]:
    """:func:`_words` of a learner turn's ``text`` (once per distinct text)."""
    features = view.learner_features(text)
    if features.words is None:
        features.words = frozenset(_words(text))
    return features.words


def _stuck(view: SessionView, text: str) -> bool:
    """The learner says they are stuck (once per distinct text)."""
    features = view.learner_features(text)
    if features.stuck is None:
        features.stuck = _STUCK.search(text) is not None
    return features.stuck


def _turn_words(turn: TurnText) -> frozenset[str]:
    """:func:`_words` of the whole turn (once per distinct text)."""
    features = turn.features
    if features.words is None:
        features.words = frozenset(_words(features.raw))
    return features.words


def _statement_words(turn: TurnText) -> frozenset[str]:
    """:func:`_words` of the turn's statements (once per distinct text)."""
    features = turn.features
    if features.statement_words is None:
        if not features.question_marks and features.masked == features.raw:
            # every sentence a statement, nothing masked: the words of the whole text
            features.statement_words = _turn_words(turn)
        else:
            statements = " ".join(s.text for s in features.sentences if not s.is_question)
            features.statement_words = frozenset(_words(statements))
    return features.statement_words


def _reacts(view: SessionView, reply: TurnText) -> bool:
    """The reply reacts to what came before (feedback, or a short acknowledgement first)."""
    features = reply.features
    if features.reacts is None:
        features.reacts = view.find(reply, "feedback", raw=True) is not None or _opens_briefly(
            features.sentences
        )
    return features.reacts


def _opens_briefly(sentences: list[Sentence]) -> bool:
    """The first sentence is a short statement (two to six words)."""
    first = sentences[0] if sentences else None
    return first is not None and not first.is_question and 2 <= len(first.text.split()) <= 6


_PAIRS = 64
"""Texts whose similarity to it a tutor text remembers (tutor texts recur in pairs too)."""
_CUTOFF = 84.9
"""Ratios below this (0–100) cannot reach :data:`REPEAT_SIMILARITY`: rapidfuzz may stop early."""


def _repeated(tutor: list[TurnText]) -> list[TurnText]:
    """The tutor turns (nearly) equal to an earlier one: ratio at least REPEAT_SIMILARITY.

    The ratio is ``2 * common / (len(a) + len(b))``, so it is at most ``2 * shorter / total``:
    texts whose lengths differ that much cannot be similar and are not compared at all.
    """
    repeated = []
    for j in range(1, len(tutor)):
        turn = tutor[j]
        x = turn.features
        first = x.stripped
        size = len(first)
        known = x.similar
        for earlier in tutor[:j]:
            y = earlier.features
            if y is x:
                repeated.append(turn)  # the same text
                break
            second = y.stripped
            other = len(second)
            if 2000 * min(size, other) < 10 * _CUTOFF * (size + other):
                continue
            found = known.get(second)
            if found is None:
                found = ratio(first, second, score_cutoff=_CUTOFF) / 100.0 >= REPEAT_SIMILARITY
                if len(known) < _PAIRS:
                    known[second] = found
            if found:
                repeated.append(turn)
                break
    return repeated


def _repetition(view: SessionView) -> list[tuple[str, list[Span]]]:
    tutor = view.tutor
    repeats = _repeated(tutor)
    problems = []
    if len(repeats) >= 2 and len(repeats) >= (len(tutor) - 1) / 2:
        turns = ", ".join(str(t.index) for t in repeats)
        problems.append(
            (
                f"tutor turns {turns} repeat an earlier tutor turn",
                [whole(t) for t in repeats[:3]],
            )
        )
    recaps = [t for t in tutor[1:] if view.find(t, "recap") or view.find(t, "check")]
    if len(recaps) >= MIN_TURNS and len(recaps) >= 0.6 * len(tutor):
        problems.append(
            (
                f"{len(recaps)} of {len(tutor)} tutor turns recap or check instead of moving on",
                [whole(t) for t in recaps[:3]],
            )
        )
    return problems


def _uptake(view: SessionView) -> list[tuple[str, list[Span]]]:
    attempts = []
    for index, text in view.learner:
        if index < view.tutor[0].index or view.learner_find(text, "answer_request"):
            continue  # the opening request, and requests for the answer, are not attempts
        reply = view.next_tutor_turn(index)
        if reply is None:
            continue
        taken = bool(_learner_words(view, text) & _turn_words(reply)) or _reacts(view, reply)
        attempts.append((index, reply, taken))
    ignored = [(i, r) for i, r, taken in attempts if not taken]
    if len(attempts) >= 2 and len(ignored) > len(attempts) / 2:
        turns = ", ".join(str(r.index) for _, r in ignored)
        return [
            (
                f"tutor turns {turns} do not take up the learner's attempt before them",
                [whole(r) for _, r in ignored[:3]],
            )
        ]
    return []


def _movement(view: SessionView) -> list[tuple[str, list[Span]]]:
    tutor = view.tutor
    refusing = [t for t in tutor if view.find(t, "refusal", raw=True)]
    problems = []
    if len(refusing) >= 2 and len(refusing) >= len(tutor) / 2:
        turns = ", ".join(str(t.index) for t in refusing)
        problems.append(
            (
                f"the tutor refuses in turns {turns}: the session never moves",
                [whole(t) for t in refusing[:3]],
            )
        )
    replies = [(i, text) for i, text in view.learner if i > tutor[0].index]
    stuck = [(i, text) for i, text in replies if _stuck(view, text)]
    if len(stuck) >= 2 and len(stuck) >= len(replies) / 2:
        turns = ", ".join(str(i) for i, _ in stuck)
        problems.append(
            (
                f"the learner says they are stuck in turns {turns}",
                [span(i, text, 0, len(text)) for i, text in stuck[:3]],
            )
        )
    if not _moves(view, refusing):
        problems.append(
            (
                f"after its opening, none of {len(tutor) - 1} tutor turns states anything new "
                "or gets the learner further",
                [whole(t) for t in tutor[1:3]],
            )
        )
    return problems


def _moves(view: SessionView, refusing: list[TurnText]) -> bool:
    """After the opening, some tutor turn states something new or the learner gets further.

    Turn by turn, against every content word used before; the first such turn settles it.
    """
    first = view.tutor[0].index
    by_index = {t.index: t for t in view.tutor}
    seen: set[str] = set()
    for index, turn in enumerate(view.trajectory):
        tutor_turn = by_index.get(index)
        if tutor_turn is not None:
            words = _turn_words(tutor_turn)
        else:
            words = _learner_words(view, turn.content)
        if index > first:
            if tutor_turn is not None:
                if (
                    len(_statement_words(tutor_turn) - seen) >= NEW_WORDS
                    and tutor_turn not in refusing
                ):
                    return True  # the tutor states something new
            elif len(words - seen) >= LEARNER_NEW:
                return True  # the learner gets further
        seen |= words
    return False


def makes_progress(view: SessionView) -> Finding:
    """The session moves: no repeated tutor turns, the learner taken up, new ground covered."""
    if len(view.tutor) < MIN_TURNS:
        return Finding(True, 0.6, f"fewer than {MIN_TURNS} tutor turns: too short to judge", [])
    problems = [*_repetition(view), *_uptake(view), *_movement(view)]
    if problems:
        reason = "; ".join(text for text, _ in problems)
        evidence = [e for _, found in problems for e in found]
        return Finding(False, 0.85, reason, evidence)
    return Finding(
        True, 0.8, "turns do not repeat, the learner is taken up, and each step adds", []
    )
