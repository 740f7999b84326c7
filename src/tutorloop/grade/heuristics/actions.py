"""The eight-action tagger: what kind of teaching move each tutor turn makes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tutorloop.grade.heuristics.text import TurnText

if TYPE_CHECKING:
    from tutorloop.grade.heuristics.view import SessionView

ACTIONS = (
    "diagnose_probe",
    "micro_explain",
    "guide_question",
    "confirm_then_push",
    "check_reinforce",
    "practice_round",
    "vary_rhythm",
    "recap_summary",
)


def tag_actions(turn: TurnText, view: SessionView) -> list[str]:
    """The actions of one tutor turn, in the taxonomy's order (a turn can make several)."""
    actions: list[str] = []
    if turn.question_marks and view.find(turn, "diagnosis"):
        actions.append("diagnose_probe")
    if turn.tokens <= view.config.conciseness_token_cap and any(
        not s.is_question and s.tokens >= 6 for s in turn.sentences
    ):
        actions.append("micro_explain")
    if len(turn.asks) == 1 and "diagnose_probe" not in actions:
        actions.append("guide_question")
    practice = view.find(turn, "practice") is not None
    if (turn.asks or practice) and view.cues.confirm.match(turn.masked.lstrip()):
        actions.append("confirm_then_push")
    if view.find(turn, "check"):
        actions.append("check_reinforce")
    if practice:
        actions.append("practice_round")
    if view.find(turn, "rhythm"):
        actions.append("vary_rhythm")
    if view.find(turn, "recap"):
        actions.append("recap_summary")
    return actions
