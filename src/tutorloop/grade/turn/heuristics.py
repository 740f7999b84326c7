"""Rules that label one tutor turn on the dimensions a rule can see.

* ``Revealing_of_the_Answer``: the final number of the reference solution appears in the
  response (correct answer revealed), or the response states an answer ("the answer is …")
  that is not it (incorrect answer revealed); else ``No``.
* ``Mistake_Identification``: a cue of a mistake ("not quite", "check", "almost", …) → ``Yes``;
  praise that treats the work as right → ``No``; a question without either → ``To some extent``.
* ``Mistake_Location``: a mistake cue together with a number the student used → ``Yes``; a cue
  alone → ``To some extent``; else ``No``.
* ``Providing_Guidance`` and ``Actionability``: a question or a directive to the student
  ("try", "let's", "can you", …) → ``Yes``; one of the two signals is weaker evidence.
* ``Tutor_Tone``: praise or an exclamation → ``Encouraging``; an insult → ``Offensive``; else
  ``Neutral``.

``Coherence`` and ``humanlikeness`` need judgement, not rules: the heuristics do not grade them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tutorloop.grade.turn.features import turn_signals
from tutorloop.records import TurnItem

TURN_HEURISTICS_VERSION = "turn-heuristics/1"


@dataclass(frozen=True)
class TurnVerdict:
    """A grader's label for one dimension of one turn, with its probability and reason."""

    item_id: str
    dimension: str
    label: str
    probability: float
    reason: str = ""
    scores: dict[str, float] | None = None


Rule = Callable[[dict[str, float]], tuple[str, float, str]]


def _reveal(s: dict[str, float]) -> tuple[str, float, str]:
    if s["reveals_final_answer"]:
        return "Yes (and the answer is correct)", 0.8, "the reference's final number appears"
    if s["reveal_phrase"]:
        return (
            "Yes (but the answer is incorrect)",
            0.55,
            "states an answer that is not the reference's",
        )
    return "No", 0.8, "no answer stated"


def _identification(s: dict[str, float]) -> tuple[str, float, str]:
    if s["mistake_cue"]:
        return "Yes", 0.85, "names or hints at a mistake"
    if s["correct_only"]:
        return "No", 0.8, "treats the student's work as right"
    if s["questions"]:
        return "To some extent", 0.5, "questions the work without naming a mistake"
    return "No", 0.6, "no sign of a mistake"


def _location(s: dict[str, float]) -> tuple[str, float, str]:
    if s["mistake_cue"] and s["mentions_student_number"]:
        return "Yes", 0.8, "points at a number the student used"
    if s["mistake_cue"]:
        return "To some extent", 0.5, "hints at a mistake without locating it"
    return "No", 0.7, "no mistake located"


def _guidance(s: dict[str, float]) -> tuple[str, float, str]:
    if s["directive"] and s["questions"]:
        return "Yes", 0.75, "guides with a question or a directive"
    if s["directive"] or s["questions"]:
        return "To some extent", 0.5, "some guidance"
    return "No", 0.7, "no guidance"


def _actionability(s: dict[str, float]) -> tuple[str, float, str]:
    if s["ends_with_question"] or (s["directive"] and s["questions"]):
        return "Yes", 0.75, "leaves the student a next step"
    if s["directive"]:
        return "To some extent", 0.5, "a directive, no explicit next step"
    return "No", 0.7, "no next step"


def _tone(s: dict[str, float]) -> tuple[str, float, str]:
    if s["offensive"]:
        return "Offensive", 0.9, "an insult"
    if s["praise"] or s["exclamation"]:
        return "Encouraging", 0.7, "praise or enthusiasm"
    return "Neutral", 0.7, "no praise"


RULES: dict[str, Rule] = {
    "Revealing_of_the_Answer": _reveal,
    "Mistake_Identification": _identification,
    "Mistake_Location": _location,
    "Providing_Guidance": _guidance,
    "Actionability": _actionability,
    "Tutor_Tone": _tone,
}
"""The dimensions the turn heuristics grade, and their rules."""


class TurnHeuristics:
    """The rule-based turn grader (deterministic, no model)."""

    name = "heuristic"
    version = TURN_HEURISTICS_VERSION

    @property
    def dimensions(self) -> list[str]:
        """The dimensions these rules grade."""
        return list(RULES)

    def predict(self, items: Sequence[TurnItem], dimension: str) -> list[TurnVerdict]:
        """One verdict per item on ``dimension`` (empty when the rules do not grade it)."""
        rule = RULES.get(dimension)
        if rule is None:
            return []
        out = []
        for item in items:
            label, probability, reason = rule(turn_signals(item))
            out.append(TurnVerdict(item.item_id, dimension, label, probability, reason))
        return out
