"""What the ``sim/learner`` SIMULATOR says: a learner playing a persona card.

Convention: the request's system message is the card (see
:func:`tutorloop.generate.persona_system_prompt`) with a line ``persona: <slug>`` (and
``opening: <text>``); the tutor's turns arrive as ``user`` messages and the learner's own earlier
turns as ``assistant`` messages. Unknown or missing slugs give a cooperative learner.

When the card replays a logged session (a ``topic: <text>`` line, and the logged learner
messages listed after :data:`~tutorloop.generate.LOGGED_TURNS_HEADER`), the learner keeps to the
session's subject: it opens with the ``opening:`` line (the session's first learner message) and
its later turns come from :data:`SESSION_SCRIPTS`, the persona's manner filled with the
session's own content: ``{topic}`` is the subject and ``{logged}`` the logged learner message
of the same turn (or a question about the subject once the log has run out).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from tutorloop.generate import LOGGED_TURNS_HEADER, Message

_PERSONA = re.compile(r"^\s*persona:\s*([A-Za-z0-9_\-]+)\s*$", re.MULTILINE)
_OPENING = re.compile(r"^\s*opening:\s*(.+?)\s*$", re.MULTILINE)
_TOPIC = re.compile(r"^\s*topic:\s*(.+?)\s*$", re.MULTILINE)

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


SESSION_SCRIPTS: dict[str, tuple[str, ...]] = {
    "answer_seeker": (
        "Just give me the answer about {topic}, please.",
        "Can you just tell me? {logged}",
        "I just want the answer on {topic}. Stop asking me questions.",
        "Ok. Just tell me the next bit of {topic} too.",
        "Just tell me, I don't need the steps for {topic}.",
    ),
    "ambiguous_grade": (
        "I'm in grade… well, sort of between 7 and 9. We moved countries and the years don't "
        "match. We just started {topic}.",
        "not sure",
        "{logged}",
        "ok",
        "I think so, for {topic}",
    ),
    "timeboxed": (
        "I only have 10 minutes, so the short version of {topic} please.",
        "{logged}",
        "Can we speed up? My lab starts soon.",
        "Got it. Anything else about {topic}, quickly?",
        "Thanks, I have to go.",
    ),
    "confident_wrong": (
        "I'm pretty sure I already know {topic}, it's easy.",
        "No, I'm sure I'm right about {topic}, that's how we always did it.",
        "{logged}",
        "Oh. So I had {topic} wrong?",
        "Ok, I see it now.",
    ),
    "homework_paster": (
        "It's for my homework on {topic}, can you just solve it? I'll copy the steps.",
        "Here's the next one: {logged} Can you do this one as well?",
        "Can you just do it? It's due tomorrow.",
        "Ok, and the next question on {topic}?",
        "Thanks.",
    ),
    "": (
        "{logged}",
        "{logged}",
        "{logged}",
        "{logged}",
        "That makes sense now, thanks. So that's how {topic} works.",
    ),
}
"""What each persona says on its 2nd, 3rd, ... turn when it replays a logged session."""


def _logged_turns(card: str) -> list[str]:
    _, found, rest = card.partition(LOGGED_TURNS_HEADER)
    if not found:
        return []
    turns: list[str] = []
    for line in rest.splitlines()[1:]:
        if not line.startswith("- "):
            break
        turns.append(line[2:].strip())
    return turns


def learner_turn(messages: Sequence[Message]) -> str:
    """A learner playing the persona card in the system message (scripted by turn number)."""
    card = "\n".join(m.content for m in messages if m.role in ("system", "developer"))
    said = sum(1 for m in messages if m.role == "assistant")
    if said == 0:
        opening = _OPENING.search(card)
        return opening[1] if opening else COOPERATIVE_OPENING
    slug = _PERSONA.search(card)
    name = slug[1].lower() if slug else ""
    topic = _TOPIC.search(card)
    if topic is None:
        script = LEARNER_SCRIPTS.get(name, LEARNER_SCRIPTS[""])
        return script[min(said - 1, len(script) - 1)]
    script = SESSION_SCRIPTS.get(name, SESSION_SCRIPTS[""])
    logged = _logged_turns(card)
    line = script[min(said - 1, len(script) - 1)]
    mine = logged[said] if said < len(logged) else f"Can we do one more example of {topic[1]}?"
    return line.format(topic=topic[1], logged=mine)
