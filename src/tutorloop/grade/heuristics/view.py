"""A session as the checks see it: each tutor turn read once, plus the learner's turns."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tutorloop.grade.heuristics.actions import tag_actions
from tutorloop.grade.heuristics.anchors import Cue
from tutorloop.grade.heuristics.config import HeuristicConfig
from tutorloop.grade.heuristics.cues import Cues
from tutorloop.grade.heuristics.text import TurnText, read_turn
from tutorloop.records import EvalCheck, Evidence, Turn


@dataclass
class SessionView:
    """The trajectory with every tutor turn analysed, and a memo of cue searches."""

    trajectory: list[Turn]
    tutor: list[TurnText]
    learner: list[tuple[int, str]]
    learner_profile: dict[str, Any] | None
    cues: Cues
    config: HeuristicConfig
    actions: list[list[str]] = field(default_factory=list)
    """The action tags of each tutor turn, in order."""
    _session_text: dict[bool, str] = field(default_factory=dict)
    _session_may: dict[tuple[str, bool], bool] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        trajectory: list[Turn],
        cues: Cues,
        config: HeuristicConfig,
        learner_profile: dict[str, Any] | None = None,
    ) -> SessionView:
        """Analyse every tutor turn of ``trajectory`` once, then tag its actions."""
        tutor = []
        learner = []
        for i, turn in enumerate(trajectory):
            if turn.role == "assistant":
                tutor.append(read_turn(i, turn.content, cues, config.rhetorical_answer_min_tokens))
            else:
                learner.append((i, turn.content))
        view = cls(trajectory, tutor, learner, learner_profile, cues, config)
        view.actions = [tag_actions(turn, view) for turn in tutor]
        return view

    def find(self, turn: TurnText, cue: str, *, raw: bool = False) -> re.Match[str] | None:
        """Search ``turn`` (its masked prose, or ``raw`` text) for the cue called ``cue``.

        Each search is made once per turn; a cue none of whose anchors occur anywhere in the
        session's tutor text is not searched turn by turn at all.
        """
        key = (cue, raw)
        if key in turn.found:
            return turn.found[key]
        compiled: Cue = getattr(self.cues, cue)
        may = self._session_may.get(key)
        if may is None:
            text = self._session_text.get(raw)
            if text is None:
                parts = (t.raw_lower if raw else t.masked_lower for t in self.tutor)
                text = self._session_text[raw] = "\n".join(parts)
            may = self._session_may[key] = compiled.may_match(text)
        found = None
        if may:
            if raw:
                found = compiled.search(turn.raw, turn.raw_lower)
            else:
                found = compiled.search(turn.masked, turn.masked_lower)
        turn.found[key] = found
        return found

    def next_tutor_turn(self, after: int) -> TurnText | None:
        """The first tutor turn after trajectory index ``after``."""
        return next((t for t in self.tutor if t.index > after), None)


def span(turn: int, text: str, start: int, end: int) -> Evidence:
    """Evidence for ``text[start:end]`` of turn ``turn`` (trimmed to 200 characters)."""
    end = min(end, start + 200)
    return Evidence(turn=turn, start=start, end=end, text=text[start:end])


def whole(turn: TurnText) -> Evidence:
    """Evidence for a whole tutor turn."""
    return span(turn.index, turn.raw, 0, len(turn.raw))


@dataclass(frozen=True)
class Finding:
    """What one check concluded, before it is stamped with its name and version."""

    passed: bool
    confidence: float
    reason: str
    evidence: list[Evidence]

    def to_check(self, name: str, config: HeuristicConfig, version: str) -> EvalCheck:
        """An :class:`EvalCheck`, *unsure* when confidence is below the config's bar."""
        if self.confidence < config.unsure_below:
            label = "unsure"
        else:
            label = "pass" if self.passed else "fail"
        return EvalCheck(
            name=name,
            passed=self.passed,
            reason=self.reason,
            evidence_snippet=self.evidence[0].text if self.evidence else None,
            confidence=round(self.confidence, 3),
            verdict=label,
            evidence=self.evidence,
            source="heuristic",
            grader_version=version,
        )
