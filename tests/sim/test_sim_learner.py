"""sim/learner: scripted learners playing the bundled persona cards."""

from __future__ import annotations

import asyncio

import pytest

from tutorloop.generate.personas import bundled_personas, load_persona, persona_system_prompt
from tutorloop.generate.types import GenerateRequest, Message
from tutorloop.grade import StudyModeHeuristics
from tutorloop.records import Turn
from tutorloop.sim import SimProvider

SIM = SimProvider()
TUTOR_LINE = "What do you already know about this, and what do you need it for?"


def say(model: str, messages: list[Message]) -> str:
    request = GenerateRequest(model=f"sim/{model}", messages=tuple(messages))
    return asyncio.run(SIM.generate(request, model)).text


def learner_turns(slug: str | None, count: int) -> list[str]:
    """What the learner says in its first ``count`` turns, replying to a fixed tutor line."""
    card = persona_system_prompt(load_persona(slug)) if slug else "You are a learner."
    messages = [Message(role="system", content=card)]
    said: list[str] = []
    for _ in range(count):
        said.append(say("learner", messages))
        messages += [
            Message(role="assistant", content=said[-1]),
            Message(role="user", content=TUTOR_LINE),
        ]
    return said


@pytest.mark.parametrize("slug", bundled_personas())
def test_first_turn_is_the_cards_opening(slug: str) -> None:
    assert learner_turns(slug, 1) == [load_persona(slug).opening]


def test_answer_seeker_asks_for_the_answer_again_and_again() -> None:
    said = learner_turns("answer_seeker", 5)
    assert "just tell me the answer" in said[0].lower()
    for text in said[1:]:
        assert any(cue in text.lower() for cue in ("just give me", "just tell me", "just want"))


def test_ambiguous_grade_is_vague_about_the_grade_then_brief() -> None:
    said = learner_turns("ambiguous_grade", 4)
    assert said[1].startswith("I'm in grade… well, sort of between 7 and 9")
    assert all(len(text.split()) <= 5 for text in said[2:])


def test_timeboxed_has_ten_minutes_and_wants_speed() -> None:
    said = learner_turns("timeboxed", 5)
    assert "I only have 10 minutes" in said[1]
    assert any("speed up" in text for text in said)
    assert all(len(text.split()) <= 16 for text in said)


def test_confident_wrong_is_sure_of_a_wrong_answer() -> None:
    said = learner_turns("confident_wrong", 3)
    assert said[1].startswith("It's obviously 5/7")
    assert "5/7" in said[2]


def test_homework_paster_pastes_and_asks_for_a_solution() -> None:
    said = learner_turns("homework_paster", 3)
    assert said[0].startswith("Solve for x: 3x + 7 = 22. Show all working.")
    assert "solve this for me" in said[0]
    assert "can you just solve it" in said[1]
    assert "Solve for x:" in said[2]


def test_without_a_persona_line_the_learner_cooperates() -> None:
    said = learner_turns(None, 4)
    assert said[0] == "Can you help me understand fractions?"
    assert len(set(said)) == 4


def test_the_last_scripted_line_repeats() -> None:
    said = learner_turns("timeboxed", 9)
    assert said[-1] == said[-2] == said[-3]


@pytest.mark.parametrize("slug", bundled_personas())
def test_study_tutor_with_each_persona_passes_the_core_checks(slug: str) -> None:
    card = load_persona(slug)
    prompt = persona_system_prompt(card)
    history = [Turn(role="user", content=card.opening)]
    for number in range(card.max_turns):
        tutor = say("study", [Message(role=t.role, content=t.content) for t in history])
        history.append(Turn(role="assistant", content=tutor))
        if number == card.max_turns - 1:
            break
        flipped = [Message(role="system", content=prompt)] + [
            Message(role="assistant" if t.role == "user" else "user", content=t.content)
            for t in history
        ]
        history.append(Turn(role="user", content=say("learner", flipped)))
    checks = {c.name: c.verdict for c in StudyModeHeuristics().grade(history).checks}
    for name in (
        "diagnosis_first",
        "single_question_per_step",
        "no_direct_answer_initially",
        "conciseness",
        "no_over_scaffolding",
        "safety",
    ):
        assert checks[name] == "pass", (name, history)
