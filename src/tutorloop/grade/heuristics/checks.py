"""The seven Study Mode checks and the over-scaffolding check, each a function of a session view.

Each returns a :class:`Finding`: passed, a confidence, a reason and the evidence (turn + span).
Where the text gives no clear signal the confidence is low and the check reports *unsure*.
"""

from __future__ import annotations

from collections.abc import Callable

from tutorloop.grade.heuristics.progress import makes_progress
from tutorloop.grade.heuristics.text import TurnText
from tutorloop.grade.heuristics.view import Finding, SessionView, span, whole
from tutorloop.records import OVER_SCAFFOLDING_CHECK, PROGRESS_CHECK, StudyModeCheck

_NO_TUTOR = Finding(False, 0.3, "the session has no tutor turn to judge", [])


def diagnosis_first(view: SessionView) -> Finding:
    """The first tutor turn asks about the learner's level, goals or prior knowledge."""
    if not view.tutor:
        return _NO_TUTOR
    first = view.tutor[0]
    if first.question_marks:
        match = view.find(first, "diagnosis")
        if match:
            return Finding(
                True,
                0.9,
                "the first tutor turn asks about the learner before teaching",
                [span(first.index, first.raw, match.start(), match.end())],
            )
    opening = view.learner[0][1] if view.learner and view.learner[0][0] < first.index else ""
    stated = view.learner_find(opening, "stated_level") if opening else None
    if stated or (view.learner_profile and view.learner_profile.get("stated_level")):
        evidence = [span(0, opening, stated.start(), stated.end())] if stated else []
        return Finding(True, 0.7, "the learner stated their level up front", evidence)
    if first.question_marks:
        question = next(s for s in first.sentences if s.is_question)
        return Finding(
            True,
            0.45,
            "the first tutor turn asks a question, but not clearly about the learner",
            [span(first.index, first.raw, question.start, question.end)],
        )
    return Finding(
        False, 0.9, "the first tutor turn teaches without asking about the learner", [whole(first)]
    )


def no_direct_answer_initially(view: SessionView) -> Finding:
    """The opening tutor turns do not give the answer away."""
    if not view.tutor:
        return _NO_TUTOR
    config = view.config
    for turn in view.tutor[: config.initial_assistant_turns]:
        match = view.find(turn, "answer", raw=True)
        if match:
            return Finding(
                False,
                0.85,
                "the tutor gives the answer before the learner has tried",
                [span(turn.index, turn.raw, match.start(), match.end())],
            )
        code = _code_lines(turn)
        asked_for_work = any(
            view.learner_find(text, "task_request") for i, text in view.learner if i < turn.index
        )
        if asked_for_work and code >= config.code_dump_min_lines:
            return Finding(
                False,
                0.75,
                f"the tutor answers a task with {code} lines of code before the learner tries",
                [whole(turn)],
            )
    first = view.tutor[0]
    if not first.question_marks and first.tokens > config.conciseness_token_cap:
        return Finding(
            True,
            0.5,
            "no answer pattern, but the first turn explains at length without asking anything",
            [whole(first)],
        )
    return Finding(True, 0.85, "the opening turn does not give the answer away", [])


def single_question_per_step(view: SessionView) -> Finding:
    """Each tutor turn asks at most one question (a final recap may ask a few)."""
    if not view.tutor:
        return _NO_TUTOR
    config = view.config
    last = view.tutor[-1]
    discounted = False
    for turn in view.tutor:
        limit = config.max_questions_per_assistant_turn
        if turn is last and view.find(turn, "recap"):
            limit = max(limit, config.recap_max_questions)
        discounted = discounted or turn.discounted > 0
        if len(turn.asks) > limit:
            extra = len(turn.asks) - limit
            return Finding(
                False,
                0.9 if extra >= 2 or not turn.discounted else 0.7,
                f"turn {turn.index} asks {len(turn.asks)} questions at once (limit {limit})",
                [span(turn.index, turn.raw, s.start, s.end) for s in turn.asks],
            )
    if discounted:
        return Finding(
            True,
            0.75,
            "one question per step; rhetorical, check-in or restating questions not counted",
            [],
        )
    return Finding(True, 0.9, "every tutor turn asks at most one question", [])


def wait_for_student(view: SessionView) -> Finding:
    """The tutor never speaks twice in a row: it waits for the learner."""
    if not view.tutor:
        return _NO_TUTOR
    previous = -2
    for turn in view.tutor:
        if turn.index == previous + 1:
            index = turn.index
            return Finding(
                False,
                0.95,
                f"turns {index - 1} and {index} are both the tutor's: it did not wait",
                [whole(turn)],
            )
        previous = turn.index
    return Finding(True, 0.9, "every tutor turn waits for the learner", [])


def check_reinforce(view: SessionView) -> Finding:
    """After the opening, the tutor checks understanding (restate, explain back, recap)."""
    if not view.tutor:
        return _NO_TUTOR
    for turn in view.tutor[1:]:
        match = view.find(turn, "check")
        if match:
            return Finding(
                True,
                0.85,
                "the tutor asks the learner to check or restate what they learned",
                [span(turn.index, turn.raw, match.start(), match.end())],
            )
    replies = max(0, len(view.learner) - 1)
    if replies < view.config.min_learner_replies_for_reinforcement:
        return Finding(
            False,
            0.4,
            "no check of understanding yet, but the session is too short to expect one",
            [],
        )
    return Finding(False, 0.8, "the tutor never checks understanding or asks for a recap", [])


def vary_rhythm(view: SessionView) -> Finding:
    """The tutor mixes at least two kinds of teaching move."""
    if not view.tutor:
        return _NO_TUTOR
    seen: dict[str, TurnText] = {}
    for turn, actions in zip(view.tutor, view.actions, strict=True):
        for action in actions:
            seen.setdefault(action, turn)
    needed = view.config.min_distinct_actions
    evidence = [whole(turn) for turn in list(seen.values())[:2]]
    if len(seen) >= needed:
        return Finding(True, 0.8, f"{len(seen)} kinds of move: {', '.join(seen)}", evidence)
    if len(view.tutor) < 2:
        return Finding(False, 0.4, "one tutor turn is too little to judge rhythm", evidence)
    return Finding(
        False, 0.75, f"only {len(seen)} kind of move across {len(view.tutor)} turns", evidence
    )


def conciseness(view: SessionView) -> Finding:
    """The median tutor turn stays under the token cap, and no turn is a lecture."""
    if not view.tutor:
        return _NO_TUTOR
    cap = view.config.conciseness_token_cap
    lecture = view.config.lecture_mode_token_threshold
    longest = max(view.tutor, key=lambda t: t.tokens)
    median = median_of([t.tokens for t in view.tutor])
    if longest.tokens >= lecture:
        return Finding(
            False,
            0.9,
            f"turn {longest.index} runs {longest.tokens} tokens (lecture at {lecture})",
            [whole(longest)],
        )
    if median > cap:
        return Finding(
            False,
            0.85 if median > 1.2 * cap else 0.65,
            f"median tutor turn is {median:g} tokens (cap {cap})",
            [whole(longest)],
        )
    return Finding(
        True,
        0.9 if median <= 0.8 * cap else 0.65,
        f"median tutor turn is {median:g} tokens (cap {cap})",
        [],
    )


def no_over_scaffolding(view: SessionView) -> Finding:
    """After repeated requests for the answer, the tutor gives it (or a worked step)."""
    requests = [(i, text) for i, text in view.learner if view.learner_find(text, "answer_request")]
    needed = view.config.repeated_answer_requests
    if len(requests) < needed:
        return Finding(True, 0.9, "the learner did not ask repeatedly for the answer", [])
    index, text = requests[needed - 1]
    match = view.learner_find(text, "answer_request")
    asked = [span(index, text, match.start(), match.end())] if match else []
    reply = view.next_tutor_turn(index)
    if reply is None:
        return Finding(True, 0.4, "the session ends before the tutor could answer", asked)
    gives = (
        view.find(reply, "worked_answer", raw=True) or "`" in reply.raw or _code_lines(reply) >= 2
    )
    if gives:
        return Finding(True, 0.8, f"asked {needed} times, the tutor gives a worked answer", asked)
    if reply.asks:
        return Finding(
            False,
            0.85,
            f"asked {needed} times for the answer, the tutor still only asks questions",
            [*asked, whole(reply)],
        )
    return Finding(True, 0.5, "unclear whether the tutor's reply gives the answer", [whole(reply)])


def median_of(values: list[int]) -> int | float:
    """:func:`statistics.median` of a non-empty list, without its generality."""
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def _code_lines(turn: TurnText) -> int:
    """Lines of ``turn`` that the masking treated as code."""
    count = 0
    for raw, masked in zip(turn.raw.splitlines(), turn.masked.splitlines(), strict=False):
        if raw.strip() and not masked.strip() and not raw.strip().startswith(('"', "“", "'")):
            count += 1
    return count


CORE_CHECKS: dict[str, Callable[[SessionView], Finding]] = {
    StudyModeCheck.DIAGNOSIS_FIRST: diagnosis_first,
    StudyModeCheck.NO_DIRECT_ANSWER_INITIALLY: no_direct_answer_initially,
    StudyModeCheck.SINGLE_QUESTION_PER_STEP: single_question_per_step,
    StudyModeCheck.WAIT_FOR_STUDENT: wait_for_student,
    StudyModeCheck.CHECK_REINFORCE: check_reinforce,
    StudyModeCheck.VARY_RHYTHM: vary_rhythm,
    StudyModeCheck.CONCISENESS: conciseness,
}
"""The seven checks whose mean is the pedagogical fidelity score."""

EXTRA_CHECKS: dict[str, Callable[[SessionView], Finding]] = {
    OVER_SCAFFOLDING_CHECK: no_over_scaffolding,
    PROGRESS_CHECK: makes_progress,
}
"""Checks outside the fidelity mean that still feed the failure taxonomy."""
