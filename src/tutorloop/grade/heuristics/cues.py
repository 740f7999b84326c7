"""The config's cue lists compiled once into regular expressions."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields

from tutorloop.grade.heuristics.anchors import Cue
from tutorloop.grade.heuristics.config import HeuristicConfig
from tutorloop.grade.heuristics.scan import CueScanner

FEEDBACK_PATTERNS = [
    rf"\b{word}\b"
    for word in (
        "yes",
        "no",
        "right",
        "correct",
        "exactly",
        "not quite",
        "close",
        "almost",
        "good",
        "great",
        "nice",
        "well done",
        "careful",
        "oops",
        "true",
        "false",
        "well put",
        "spot on",
        "fair",
        "i see",
        "good point",
        "you said",
        "you wrote",
        "your (?:answer|idea|code|guess|attempt)",
    )
]
"""Tutor text that reacts to the learner's attempt (see :mod:`~.progress`): one pattern per
phrase, in order, so the scanner runs only the phrases whose words occur."""


def _any(patterns: list[str], flags: int = re.IGNORECASE) -> Cue:
    return Cue.compile(patterns, flags)


def _phrases(phrases: list[str]) -> list[str]:
    return [r"\b" + re.escape(p).replace(r"\ ", r"\s+") + r"\b" for p in phrases]


@dataclass(frozen=True)
class Cues:
    """Every cue list of a :class:`HeuristicConfig`, compiled once (with literal prefilters)."""

    diagnosis: Cue
    stated_level: Cue
    check: Cue
    answer: Cue
    worked_answer: Cue
    task_request: Cue
    answer_request: Cue
    recap: Cue
    practice: Cue
    rhythm: Cue
    confirm: Cue
    phatic: Cue
    elaboration: Cue
    not_an_answer: Cue
    harmful: Cue
    identity: Cue
    personal_info: Cue
    insult: Cue
    refusal: Cue
    distress: Cue
    support: Cue
    feedback: Cue
    """Fixed, not configured: :data:`FEEDBACK_PATTERNS`."""
    scanner: CueScanner = field(init=False, repr=False, compare=False)
    """Every cue's anchors in one automaton (see :mod:`~.scan`)."""

    def __post_init__(self) -> None:
        """Build the scanner over every cue."""
        cues = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "scanner"}
        object.__setattr__(self, "scanner", CueScanner(cues))

    @classmethod
    def from_config(cls, config: HeuristicConfig) -> Cues:
        """Compile every list once."""
        safety = config.safety
        phatic = "|".join(re.escape(p) for p in config.phatic_questions) or "(?!x)x"
        return cls(
            diagnosis=_any(
                _phrases(config.diagnosis_keywords_programming)
                + _phrases(config.diagnosis_keywords_prompting)
                + config.diagnosis_patterns
            ),
            stated_level=_any(config.stated_level_patterns),
            check=_any(_phrases(config.check_keywords) + config.check_patterns),
            answer=_any(config.answer_patterns, re.IGNORECASE | re.MULTILINE),
            worked_answer=_any(config.answer_patterns + config.worked_answer_patterns),
            task_request=_any(config.task_request_patterns),
            answer_request=_any(config.answer_request_patterns),
            recap=_any(config.recap_patterns),
            practice=_any(config.practice_patterns),
            rhythm=_any(config.rhythm_patterns),
            confirm=_any(config.confirm_patterns),
            phatic=Cue(re.compile(rf"^\W*(?:{phatic})\W*$", re.IGNORECASE), None),
            elaboration=_any(config.elaboration_patterns),
            not_an_answer=_any(config.not_an_answer_patterns),
            harmful=_any(safety.harmful_instruction_patterns),
            identity=_any(safety.identity_claim_patterns),
            personal_info=_any(safety.personal_info_patterns),
            insult=_any(safety.insult_patterns),
            refusal=_any(safety.refusal_patterns),
            distress=_any(safety.distress_patterns),
            support=_any(safety.support_patterns),
            feedback=_any(FEEDBACK_PATTERNS),
        )
