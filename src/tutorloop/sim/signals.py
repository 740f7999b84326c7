"""Seven text signals of Study Mode on a trajectory: what the simulator's grading scripts count.

The seven signals (simple, deterministic text checks, not judgement):

* ``diagnosis_first``: the first tutor turn has a question (a sentence ending in "?") that
  addresses the learner ("you", "your", ...);
* ``no_direct_answer_initially``: the first tutor turn says neither "the answer is" nor
  "therefore";
* ``single_question_per_step``: every tutor turn but the last has at most one "?";
* ``wait_for_student``: no two tutor turns in a row;
* ``check_reinforce``: some tutor turn asks, in a question, to restate, explain, recap, sum up
  or say why, or says "in your own words";
* ``vary_rhythm``: at least two kinds of move among explain (a statement of six or more words),
  question, check, practice, confirm and recap;
* ``conciseness``: the median tutor turn is at most 80 words.

A model grader's input is rendered text, so :func:`turns_in` finds the trajectory in its messages:
the JSON right after a ``<trajectory_json>`` marker in a user message (decoded with
``raw_decode``, so a turn that contains the end marker cannot cut it short); else the first JSON
array of ``{"role", "content"}`` objects in any message (as ``{{ item.trajectory }}`` renders);
else the user messages' text (all messages' when there is none) read as one tutor turn.
"""

from __future__ import annotations

import json
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tutorloop.generate import Message
from tutorloop.records import STUDY_MODE_CHECKS

TRAJECTORY_BEGIN = "<trajectory_json>"
"""The marker after which a prompt may put the trajectory JSON (the session judge's convention)."""
SIGNAL_NAMES = STUDY_MODE_CHECKS
"""The seven Study Mode checks, in the judge's order."""
WORD_CAP = 80
_ARRAY = re.compile(r"\[\s*\{")
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")
_YOU = re.compile(r"\byou(?:r|rs|rself|'re|’re|'ve|’ve)?\b", re.IGNORECASE)
_ANSWER = re.compile(r"\bthe (?:final |correct |right )?answer is\b|\btherefore\b", re.IGNORECASE)
_CHECK = re.compile(
    r"\b(?:restate|recap|sum (?:it )?up|summari[sz]e|explain|tell me why|why (?:does|did|do|"
    r"was|is) (?:this|that|it|the)\b)",
    re.IGNORECASE,
)
_OWN_WORDS = re.compile(r"\bin your own words\b", re.IGNORECASE)
_PRACTICE = re.compile(r"\b(?:practice|try|quiz|example)\b", re.IGNORECASE)
_YOUR_TURN = re.compile(r"\byour turn\b", re.IGNORECASE)
_CONFIRM = re.compile(
    r"^\W*(?:right|correct|exactly|yes|nice|great job|well done|good (?:job|work|thinking)|"
    r"not quite|almost|close)\b",
    re.IGNORECASE,
)
_RECAP = re.compile(r"\b(?:to sum up|recap|in summary|summary)\b", re.IGNORECASE)

Turns = list[tuple[str, str]]
"""(role, content) pairs; role is ``user`` (learner) or ``assistant`` (tutor)."""


@dataclass(frozen=True)
class Signal:
    """One of the seven signals on one trajectory."""

    name: str
    passed: bool
    reason: str
    snippet: str | None = None


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.findall(text) if s.strip()]


def _questions(text: str) -> list[str]:
    return [s for s in _sentences(text) if s.endswith("?")]


def _checks(text: str) -> str | None:
    own = _OWN_WORDS.search(text)
    if own:
        return text[own.start() :]
    return next((q for q in _questions(text) if _CHECK.search(q)), None)


def _moves(text: str) -> set[str]:
    moves: set[str] = set()
    for sentence in _sentences(text):
        if sentence.endswith("?"):
            moves.add("practice" if _PRACTICE.search(sentence) else "question")
        elif len(sentence.split()) >= 6:
            moves.add("explain")
    if _checks(text):
        moves.add("check")
    if _YOUR_TURN.search(text):
        moves.add("practice")
    if _CONFIRM.match(text):
        moves.add("confirm")
    if _RECAP.search(text):
        moves.add("recap")
    return moves


def signals(turns: Turns) -> list[Signal]:
    """The seven signals, in the judge's order."""
    tutor = [text for role, text in turns if role == "assistant"]
    if not tutor:
        return [Signal(n, False, "the trajectory has no tutor turn") for n in SIGNAL_NAMES]
    first = tutor[0]
    asks = next((q for q in _questions(first) if _YOU.search(q)), None)
    answer = _ANSWER.search(first)
    many = next((t for t in tutor[:-1] if t.count("?") > 1), None)
    roles = [role for role, _ in turns]
    twice = next((i for i in range(1, len(roles)) if roles[i - 1] == roles[i] == "assistant"), 0)
    check = next((c for c in map(_checks, tutor) if c), None)
    moves = sorted(set().union(*map(_moves, tutor)))
    median = statistics.median(len(t.split()) for t in tutor)
    longest = max(tutor, key=lambda t: len(t.split()))
    reasons = (
        "the first tutor turn asks about the learner" if asks else "it asks the learner nothing",
        f"the first tutor turn says {answer[0]!r}" if answer else "it gives no answer away",
        "a tutor turn asks several questions" if many else "one question per tutor turn",
        f"turns {twice - 1} and {twice} are both the tutor's" if twice else "the tutor waits",
        "the tutor asks to restate or explain" if check else "it never checks understanding",
        f"kinds of move: {', '.join(moves) or 'none'}",
        f"the median tutor turn is {median:g} words (cap {WORD_CAP})",
    )
    outcomes: tuple[tuple[bool, str | None], ...] = (
        (asks is not None, asks or first),
        (answer is None, first[answer.start() :] if answer else None),
        (many is None, many),
        (not twice, turns[twice][1] if twice else None),
        (check is not None, check),
        (len(moves) >= 2, None),
        (median <= WORD_CAP, None if median <= WORD_CAP else longest),
    )
    return [
        Signal(name, passed, reason, snippet)
        for name, reason, (passed, snippet) in zip(SIGNAL_NAMES, reasons, outcomes, strict=True)
    ]


def as_turns(value: Any) -> Turns | None:
    """``[{"role", "content"}, ...]`` as turns (``assistant``, ``tutor``: the tutor), or None."""
    if not isinstance(value, list) or not value:
        return None
    turns: Turns = []
    for item in value:
        if not isinstance(item, dict):
            return None
        role, content = item.get("role"), item.get("content")
        if not isinstance(role, str) or not isinstance(content, str):
            return None
        turns.append(("assistant" if role in ("assistant", "tutor") else "user", content))
    return turns


def find_trajectory(messages: Sequence[Message]) -> Turns | None:
    """The trajectory in rendered messages (see the module docstring), if there is one."""
    decoder = json.JSONDecoder()
    users = [m.content for m in messages if m.role == "user"]
    for text in users:
        start = text.find(TRAJECTORY_BEGIN)
        while start >= 0:
            rest = text[start + len(TRAJECTORY_BEGIN) :].lstrip()
            try:
                found = as_turns(decoder.raw_decode(rest)[0])
            except ValueError:
                found = None
            if found:
                return found
            start = text.find(TRAJECTORY_BEGIN, start + 1)
    for message in messages:
        for match in _ARRAY.finditer(message.content):
            try:
                found = as_turns(decoder.raw_decode(message.content, match.start())[0])
            except ValueError:
                continue
            if found:
                return found
    return None


def turns_in(messages: Sequence[Message]) -> tuple[Turns, bool]:
    """The trajectory, or the prompt text as one tutor turn; and whether one was found."""
    found = find_trajectory(messages)
    if found is not None:
        return found, True
    users = [m.content for m in messages if m.role == "user"] or [m.content for m in messages]
    return [("assistant", "\n\n".join(users))], False
