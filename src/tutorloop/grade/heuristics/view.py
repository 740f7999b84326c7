"""A session as the checks see it: each tutor turn read once, plus the learner's turns."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from typing import Any

from tutorloop.grade.heuristics.actions import tag_actions
from tutorloop.grade.heuristics.config import HeuristicConfig
from tutorloop.grade.heuristics.cues import Cues
from tutorloop.grade.heuristics.memo import FeatureCache, LearnerFeatures
from tutorloop.grade.heuristics.scan import lowers_exactly
from tutorloop.grade.heuristics.text import TurnText
from tutorloop.records import EvalCheck, Evidence, Turn, trusted


@dataclass
class SessionView:
    """The trajectory with every tutor turn analysed (its text's features shared and cached)."""

    trajectory: list[Turn]
    tutor: list[TurnText]
    learner: list[tuple[int, str]]
    learner_profile: dict[str, Any] | None
    cues: Cues
    config: HeuristicConfig
    memo: FeatureCache
    actions: list[list[str]] = field(default_factory=list)
    """The action tags of each tutor turn, in order."""
    _tutor_at: list[int] | None = None
    _learner: dict[str, LearnerFeatures] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        trajectory: list[Turn],
        cues: Cues,
        config: HeuristicConfig,
        learner_profile: dict[str, Any] | None = None,
        memo: FeatureCache | None = None,
    ) -> SessionView:
        """Analyse every tutor turn of ``trajectory`` once, then tag its actions."""
        if memo is None:
            memo = FeatureCache(cues, config.rhetorical_answer_min_tokens)
        tutor = []
        learner = []
        for i, turn in enumerate(trajectory):
            if turn.role == "assistant":
                tutor.append(TurnText(i, memo.tutor(turn.content)))
            else:
                learner.append((i, turn.content))
        view = cls(trajectory, tutor, learner, learner_profile, cues, config, memo)
        tagged = []
        for text in tutor:
            tags = text.features.tags
            if tags is None:
                tags = text.features.tags = tag_actions(text, view)
            tagged.append(tags)
        view.actions = tagged
        return view

    def find(self, turn: TurnText, cue: str, *, raw: bool = False) -> re.Match[str] | None:
        """Search ``turn`` (its masked prose, or ``raw`` text) for the cue called ``cue``.

        Each search is made once per distinct text, and runs only the cue's patterns whose
        anchors the text holds (see :mod:`~.scan`).
        """
        features = turn.features
        key = (cue, raw)
        found = features.found
        if key in found:
            return found[key]
        if raw:
            text, present = features.raw, features.raw_present
        else:
            text, present = features.masked, features.masked_present
        match = found[key] = self.cues.scanner.search(cue, text, present, features.exact)
        return match

    def learner_find(self, text: str, cue: str) -> re.Match[str] | None:
        """Search a learner turn's ``text`` for the cue called ``cue`` (once per distinct text)."""
        features = self._learner.get(text) or self.learner_features(text)
        found = features.found
        if cue in found:
            return found[cue]
        scanner = self.cues.scanner
        if features.present is None:
            features.present = scanner.scan(text.lower())
            features.exact = lowers_exactly(text)
        match = found[cue] = scanner.search(cue, text, features.present, features.exact)
        return match

    def learner_features(self, text: str) -> LearnerFeatures:
        """The features of a learner turn's ``text``, shared by every check of the session."""
        features = self._learner.get(text)
        if features is None:
            features = self._learner[text] = self.memo.learner(text)
        return features

    def next_tutor_turn(self, after: int) -> TurnText | None:
        """The first tutor turn after trajectory index ``after``."""
        if self._tutor_at is None:
            self._tutor_at = [t.index for t in self.tutor]
        i = bisect.bisect_right(self._tutor_at, after)
        return self.tutor[i] if i < len(self.tutor) else None


Span = Evidence
"""The evidence of a finding: a turn and a character span."""


def span(turn: int, text: str, start: int, end: int) -> Span:
    """Evidence for ``text[start:end]`` of turn ``turn`` (trimmed to 200 characters)."""
    end = min(end, start + 200)
    return trusted(Evidence, {"turn": turn, "start": start, "end": end, "text": text[start:end]})


def whole(turn: TurnText) -> Span:
    """Evidence for a whole tutor turn."""
    return span(turn.index, turn.raw, 0, len(turn.raw))


@dataclass(slots=True)
class Finding:
    """What one check concluded, before it is stamped with its name and version.

    Not frozen: a frozen dataclass sets each field through ``object.__setattr__``, and every
    check of every session builds one. Nothing changes a finding once built.
    """

    passed: bool
    confidence: float
    reason: str
    evidence: list[Span]

    def to_check(self, name: str, config: HeuristicConfig, version: str) -> EvalCheck:
        """The :class:`EvalCheck`, *unsure* when confidence is below the bar."""
        if self.confidence < config.unsure_below:
            label = "unsure"
        else:
            label = "pass" if self.passed else "fail"
        evidence = self.evidence
        return trusted(
            EvalCheck,
            {
                "name": name if type(name) is str else str(name),  # a StrEnum's value
                "passed": bool(self.passed),
                "reason": self.reason,
                "evidence_snippet": evidence[0].text if evidence else None,
                "confidence": float(round(self.confidence, 3)),
                "verdict": label,
                "evidence": list(evidence),
                "source": "heuristic",
                "grader_version": version,
            },
        )
