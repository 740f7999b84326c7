"""What the ``sim/learner`` SIMULATOR says: a learner playing a persona card.

Convention: the request's system message is the card (see
:func:`tutorloop.generate.persona_system_prompt`) with a line ``persona: <slug>`` (and
``opening: <text>``); the tutor's turns arrive as ``user`` messages and the learner's own earlier
turns as ``assistant`` messages. Unknown or missing slugs give a cooperative learner.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from tutorloop.generate import Message

_PERSONA = re.compile(r"^\s*persona:\s*([A-Za-z0-9_\-]+)\s*$", re.MULTILINE)
_OPENING = re.compile(r"^\s*opening:\s*(.+?)\s*$", re.MULTILINE)

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


def learner_turn(messages: Sequence[Message]) -> str:
    """A learner playing the persona card in the system message (scripted by turn number)."""
    card = "\n".join(m.content for m in messages if m.role in ("system", "developer"))
    said = sum(1 for m in messages if m.role == "assistant")
    if said == 0:
        opening = _OPENING.search(card)
        return opening[1] if opening else COOPERATIVE_OPENING
    slug = _PERSONA.search(card)
    script = LEARNER_SCRIPTS.get(slug[1].lower() if slug else "", LEARNER_SCRIPTS[""])
    return script[min(said - 1, len(script) - 1)]
