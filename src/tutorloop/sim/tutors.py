"""What the ``sim`` SIMULATOR's tutors say: ``sim/base`` lectures, ``sim/study`` teaches.

* ``base``: a tutor *without* Study Mode. It answers at once and lectures: restates the topic,
  hands over the complete solution ("Here is the complete solution ... The answer is ..."),
  lists several facts, and asks nothing about the learner.
* ``study``: a Study Mode tutor. It opens with one diagnostic question, then gives a short
  explanation and exactly one question per turn, refuses a request on the harmful-keyword list
  of :mod:`.keywords` (:data:`STUDY_REFUSAL`), confirms or corrects attempts, alternates a check
  of understanding with a practice question, adds a recap once the learner has spoken five
  times, and gives a worked answer once the learner has asked for the answer twice. It never
  solves pasted homework itself: it works a twin problem instead.

Both read only the conversation: the learner's turns are ``user`` messages, the tutor's own
earlier turns ``assistant`` messages.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from tutorloop.generate import Message
from tutorloop.sim._text import BASE_FACTS, Plan, general_plan, judge, parse_problem, topic_of
from tutorloop.sim.keywords import is_harmful

_REQUEST = re.compile(
    r"\bjust (?:give|tell|show) me\b|\bjust tell me\b|\bwhat(?:'s|’s| is) the answer\b|"
    r"\bgive me the (?:answer|solution)\b|\bI just want the answer\b|\bstop asking\b|"
    r"\bcan you just (?:solve|answer|do) (?:it|this)\b|\b(?:solve|do) (?:it|this) for me\b",
    re.IGNORECASE,
)
_HOMEWORK = re.compile(
    r"\b(?:homework|worksheet|assignment|due (?:tomorrow|today)|show (?:all )?(?:your )?working)\b",
    re.IGNORECASE,
)
_HURRY = re.compile(r"\b(?:speed (?:it |this )?up|quick(?:ly)?|hurry|short version)\b", re.I)
_ATTEMPT = re.compile(r"[\d=`()]|\bdef\b|\bprint\b")


STUDY_REFUSAL = (
    "I can't help with that: it could hurt someone. If you're curious about the topic, we "
    "could look at how people stay safe from it instead. What got you interested?"
)
"""What ``sim/study`` answers to a request matching the simulator's harmful-keyword list."""


def _plan(learner: Sequence[str]) -> Plan:
    opening = learner[0] if learner else ""
    return parse_problem(opening) or general_plan(topic_of(opening))


def _split(messages: Sequence[Message]) -> tuple[list[str], list[str]]:
    learner = [m.content for m in messages if m.role == "user"]
    tutor = [m.content for m in messages if m.role == "assistant"]
    return learner, tutor


def base_tutor(messages: Sequence[Message]) -> str:
    """A tutor without Study Mode: the full answer at once, then a lecture."""
    learner, tutor = _split(messages)
    plan = _plan(learner)
    if not tutor:
        intro = f"Great question! Let me explain {plan.topic} fully, all in one place."
    else:
        intro = f"Good point. Let me go over {plan.topic} again from the beginning, in full."
    if plan.answer_text is not None:
        solution = (
            f"Here is the complete solution for {plan.text}. {plan.steps} "
            f"The answer is {plan.answer_text}."
        )
    else:
        solution = (
            f"Here is the complete solution. The answer is that {plan.topic} comes down to a few "
            f"core rules, and once you know them you can apply them directly. {plan.steps}"
        )
    facts = BASE_FACTS[plan.family].format(topic=plan.topic)
    close = (
        "Follow these steps exactly as written and you will get the right result every time. "
        "Let me know if you have other questions."
    )
    return "\n\n".join([intro, solution, facts, close])


def study_tutor(messages: Sequence[Message]) -> str:
    """A Study Mode tutor: diagnose, then one small step and one question per turn."""
    learner, tutor = _split(messages)
    if learner and is_harmful(learner[-1]):
        return STUDY_REFUSAL
    plan = _plan(learner)
    homework = any(_HOMEWORK.search(text) for text in learner)
    if not tutor or not learner:
        lead = (
            "I won't solve it for you, but we can work through it together."
            if homework
            else "Happy to help."
        )
        return (
            f"{lead} Before we start: what do you already know about {plan.topic}, "
            "and what do you need it for?"
        )
    turn, last = len(tutor), learner[-1]
    if _REQUEST.search(last) and sum(1 for t in learner if _REQUEST.search(t)) >= 2:
        lead, question = _worked(plan, homework)
    elif _HOMEWORK.search(last) and len(learner) > 1:
        pasted = parse_problem(last) or plan
        hint, ask = pasted.hints[0]
        lead = f"I can't do graded work for you, but I'll walk you through it. {hint}"
        question = f"Your turn: {ask}?"
    else:
        target = parse_problem(tutor[-1]) or plan
        verdict = judge(target, last)
        if verdict is False:
            again = tutor[-1].startswith("Not quite")
            hint, ask = target.hints[1 if again and len(target.hints) > 1 else 0]
            opener = (
                "Still not quite, and that's fine: this one trips up lots of people."
                if again
                else "Not quite yet, but that's a very common first try."
            )
            lead, question = f"{opener} {hint}", f"Your turn: {ask}?"
        elif verdict is True or (turn > 1 and _is_attempt(last)):
            lead, question = _confirm(plan, turn)
        else:
            hint, ask = plan.hints[(turn - 1) % len(plan.hints)]
            lead = f"Thanks, that helps. {hint}" if turn == 1 else hint
            if _HURRY.search(last):
                lead = f"Sure, I'll keep it quick. {lead}"
            question = f"Your turn: {ask}?"
    recap = f" To sum up so far: {plan.recap}." if len(learner) >= 5 else ""
    return f"{lead}{recap} {question}"


def _worked(plan: Plan, homework: bool) -> tuple[str, str]:
    """A worked answer, on a twin problem when the original is homework."""
    twin = parse_problem(plan.twin) if homework and plan.twin else None
    if twin is not None:
        lead = (
            f"Fair enough — here's a worked answer for a twin of your question, {twin.text}, "
            f"so the homework stays yours. {twin.steps} The answer is {twin.answer_text}."
        )
    elif plan.answer_text is not None:
        lead = (
            f"Fair enough — here's the worked answer for {plan.text}. {plan.steps} "
            f"The answer is {plan.answer_text}."
        )
    else:
        lead = f"Fair enough — here's the worked answer for {plan.topic}. {plan.steps}"
    return lead, "Can you tell me why the first step was needed?"


def _confirm(plan: Plan, turn: int) -> tuple[str, str]:
    """Confirm an attempt, then alternately check understanding or push with practice."""
    if turn % 2 == 0:
        return (
            "Nice work — that's the step that matters most.",
            "Quick check before we move on: in your own words, why does that work?",
        )
    return (
        "Right, that works. Let's lock it in with one practice round.",
        f"Your turn: {plan.practice}?",
    )


def _is_attempt(text: str) -> bool:
    """Digits, code or ``=``, or four or more words that neither ask nor demand the answer."""
    if _ATTEMPT.search(text):
        return True
    return len(text.split()) >= 4 and "?" not in text and not _REQUEST.search(text)
