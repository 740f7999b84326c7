"""The eight-action tagger: what kind of teaching move each tutor turn makes."""

from __future__ import annotations

from .config import HeuristicConfig
from .cues import Cues
from .text import TurnText

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


def tag_actions(turn: TurnText, cues: Cues, config: HeuristicConfig) -> list[str]:
    """The actions of one tutor turn, in the taxonomy's order (a turn can make several)."""
    prose = turn.masked
    has_question = turn.question_marks > 0
    actions: list[str] = []
    if has_question and cues.diagnosis.search(prose):
        actions.append("diagnose_probe")
    explains = any(not s.is_question and s.tokens >= 6 for s in turn.sentences)
    if explains and turn.tokens <= config.conciseness_token_cap:
        actions.append("micro_explain")
    if len(turn.asks) == 1 and "diagnose_probe" not in actions:
        actions.append("guide_question")
    if cues.confirm.search(prose.lstrip()) and (turn.asks or cues.practice.search(prose)):
        actions.append("confirm_then_push")
    if cues.check.search(prose):
        actions.append("check_reinforce")
    if cues.practice.search(prose):
        actions.append("practice_round")
    if cues.rhythm.search(prose):
        actions.append("vary_rhythm")
    if cues.recap.search(prose):
        actions.append("recap_summary")
    return actions
