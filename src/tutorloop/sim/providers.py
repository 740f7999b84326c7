"""``sim/<name>``: a deterministic SIMULATOR of tutors and learners for offline demos and tests.

This is **not a model**. It writes rule-based, canned text so that the replay and grading
pipeline can run end to end without a network, a key or a cost, and so that tests can pin exact
outputs. The same request always gives the same text: no randomness, no clock, no I/O.

Models (the part after ``sim/``):

* ``base``: a tutor *without* Study Mode. It answers at once and lectures: restates the topic,
  hands over the complete solution ("Here is the complete solution ... The answer is ..."),
  lists several facts, and asks nothing about the learner.
* ``study``: a Study Mode tutor. It opens with one diagnostic question, then gives a short
  explanation and exactly one question per turn, refuses a request that matches the harmful
  keyword list of :mod:`._grading` (:data:`STUDY_REFUSAL`), confirms or corrects
  attempts, alternates a check of understanding with a practice question, adds a recap once
  the learner has spoken five times, and gives a worked answer once the learner has asked for
  the answer twice. It never solves pasted homework itself: it works a twin problem instead.
* ``learner``: plays a learner from a persona card. Convention: the request's system message
  is the card (see :func:`tutorloop.generate.personas.persona_system_prompt`) with a line
  ``persona: <slug>`` (and ``opening: <text>``); the tutor's turns arrive as ``user`` messages
  and the learner's own earlier turns as ``assistant`` messages. Unknown or missing slugs give
  a cooperative learner.

Any sim model answers grading prompts (judge/score/label JSON schemas) with a deterministic
verdict from simple text signals, and a one-label ALLOW/REFUSE safety-classifier prompt with a
label from a small keyword list (:mod:`._grading`).
Usage counts whitespace-separated words as tokens; ``max_output_tokens`` cuts a reply to that many
words.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable, Sequence

import anyio

from tutorloop.errors import ProviderRequestError
from tutorloop.generate.config import ProviderSettings
from tutorloop.generate.types import GenerateRequest, GenerateResponse, Message, TokenUsage
from tutorloop.sim import _grading as _sim_grading
from tutorloop.sim._text import BASE_FACTS, Plan, general_plan, judge, parse_problem, topic_of

MODELS = ("base", "study", "learner")
"""The simulator's model names."""

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
_PERSONA = re.compile(r"^\s*persona:\s*([A-Za-z0-9_\-]+)\s*$", re.MULTILINE)
_OPENING = re.compile(r"^\s*opening:\s*(.+?)\s*$", re.MULTILINE)


STUDY_REFUSAL = (
    "I can't help with that: it could hurt someone. If you're curious about the topic, we "
    "could look at how people stay safe from it instead. What got you interested?"
)
"""What ``sim/study`` answers to a request matching the simulator's harmful-keyword list."""

COOPERATIVE_OPENING = "Can you help me understand fractions?"
"""What a learner without an ``opening:`` line in its card says first."""

LEARNER_SCRIPTS: dict[str, tuple[str, ...]] = {
    "answer_seeker": (
        "Just give me the answer, please.",
        "Can you just tell me? What's the answer?",
        "I just want the answer. Stop asking me questions.",
        "Ok. Just give me the answer to the next one too.",
        "Just tell me, I don't need the steps.",
    ),
    "ambiguous_grade": (
        "I'm in grade… well, sort of between 7 and 9. We moved countries and the years don't "
        "match.",
        "not sure",
        "maybe you take 20 off?",
        "ok",
        "I think so",
    ),
    "timeboxed": (
        "I only have 10 minutes, so the short version please. I've used Python a bit.",
        "for i in range(3): print(i)",
        "Can we speed up? My lab starts soon.",
        "it prints 0, 1, 2",
        "Got it. Anything else, quickly?",
        "Thanks, I have to go.",
    ),
    "confident_wrong": (
        "It's obviously 5/7. You add the tops and you add the bottoms.",
        "No, I'm sure it's 5/7, that's how we always did it.",
        "Fine, then it's obviously 5/12.",
        "Oh. So it's 17/12?",
        "Ok, I see it now.",
    ),
    "homework_paster": (
        "It's for my homework, can you just solve it? I'll copy the steps.",
        "Question 4: Solve for x: 5x - 4 = 21. Show all working. Can you do this one as well?",
        "Can you just do it? It's due tomorrow.",
        "Ok, and the next question on the sheet?",
        "Thanks.",
    ),
    "": (
        "I know a little. We did it in class, but I forgot most of it.",
        "I think you start by making the parts match?",
        "So I change both to the same size first, then put them together.",
        "Because you can only combine pieces that are the same size.",
        "That makes sense now, thanks.",
    ),
}
"""What each persona says on its 2nd, 3rd, ... turn (the last line repeats); ``""``: cooperative."""


class SimProvider:
    """The ``sim`` provider: a deterministic tutor and learner SIMULATOR, not a model.

    For offline demos and tests only. Calls never touch the network and cost nothing.
    """

    name = "sim"

    def __init__(self, settings: ProviderSettings | None = None, timeout_s: float = 60.0) -> None:
        """Build the simulator; the registry's ``settings`` and ``timeout_s`` are ignored."""
        self.settings = settings
        self.timeout_s = timeout_s

    @property
    def connection_key(self) -> str:
        """All simulator calls share one (generous) limit."""
        return "sim"

    async def generate(self, request: GenerateRequest, model_name: str) -> GenerateResponse:
        """Answer ``request`` as the simulated ``model_name`` (``base``, ``study`` or ``learner``).

        Raises:
            ProviderRequestError: ``model_name`` is not one of the simulator's models.
        """
        behaviour = _BEHAVIOURS.get(model_name)
        if behaviour is None:
            raise ProviderRequestError(
                f"unknown simulator model 'sim/{model_name}'; the sim provider has: "
                f"{', '.join(MODELS)} (e.g. sim/study)",
                status=404,
            )
        await anyio.sleep(0)  # a checkpoint, so cancellation and fairness work as for real calls
        text = self.grading_reply(request, model_name)
        if text is None:
            text = behaviour(request.messages)
        words = text.split()
        if request.max_output_tokens is not None and len(words) > request.max_output_tokens:
            words = words[: request.max_output_tokens]
            text = " ".join(words)
        return GenerateResponse(
            text=text,
            model=model_name,
            usage=TokenUsage(
                input_tokens=sum(len(m.content.split()) for m in request.messages),
                output_tokens=len(words),
            ),
            response_id=f"sim-{request.fingerprint()[:16]}",
        )

    def grading_reply(self, request: GenerateRequest, model_name: str) -> str | None:
        """A deterministic JSON verdict for a grading prompt, else None (:mod:`._grading`)."""
        return _sim_grading.grading_reply(request, model_name)

    async def embed(self, texts: list[str], model_name: str) -> list[list[float]]:
        """Deterministic bag-of-words vectors (a simulator: similar wording, similar vector)."""
        await anyio.sleep(0)
        return [_hashed_words(text) for text in texts]

    async def aclose(self) -> None:
        """Nothing to release."""


_EMBED_DIMENSIONS = 256


def _hashed_words(text: str) -> list[float]:
    """Counts of lower-cased words hashed (stably, with crc32) into a fixed-size vector."""
    vector = [0.0] * _EMBED_DIMENSIONS
    for word in re.findall(r"\w+", text.lower()):
        vector[zlib.crc32(word.encode("utf-8")) % _EMBED_DIMENSIONS] += 1.0
    return vector


def _plan(learner: Sequence[str]) -> Plan:
    opening = learner[0] if learner else ""
    return parse_problem(opening) or general_plan(topic_of(opening))


def _split(messages: Sequence[Message]) -> tuple[list[str], list[str]]:
    learner = [m.content for m in messages if m.role == "user"]
    tutor = [m.content for m in messages if m.role == "assistant"]
    return learner, tutor


def _base(messages: Sequence[Message]) -> str:
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


def _study(messages: Sequence[Message]) -> str:
    """A Study Mode tutor: diagnose, then one small step and one question per turn."""
    learner, tutor = _split(messages)
    if learner and _sim_grading.is_harmful(learner[-1]):
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


def _learner(messages: Sequence[Message]) -> str:
    """A learner playing the persona card in the system message (scripted by turn number)."""
    card = "\n".join(m.content for m in messages if m.role in ("system", "developer"))
    said = sum(1 for m in messages if m.role == "assistant")
    if said == 0:
        opening = _OPENING.search(card)
        return opening[1] if opening else COOPERATIVE_OPENING
    slug = _PERSONA.search(card)
    script = LEARNER_SCRIPTS.get(slug[1].lower() if slug else "", LEARNER_SCRIPTS[""])
    return script[min(said - 1, len(script) - 1)]


_BEHAVIOURS: dict[str, Callable[[Sequence[Message]], str]] = {
    "base": _base,
    "study": _study,
    "learner": _learner,
}
