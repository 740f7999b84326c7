"""The sim provider: a deterministic tutor/learner simulator, graded by the heuristics."""

from __future__ import annotations

import asyncio
import re

import pytest

from tutorloop.errors import ProviderRequestError
from tutorloop.generate.config import ProviderSettings
from tutorloop.generate.providers.base import ProviderAPI
from tutorloop.generate.providers.registry import create_provider
from tutorloop.generate.types import GenerateRequest, GenerateResponse, Message
from tutorloop.grade import StudyModeHeuristics
from tutorloop.records import Turn
from tutorloop.sim import MODELS, SimProvider

SIM = SimProvider()
HEURISTICS = StudyModeHeuristics()
STUDY_CHECKS = (
    "diagnosis_first",
    "single_question_per_step",
    "no_direct_answer_initially",
    "conciseness",
)


def request(
    model: str, *turns: tuple[str, str], max_output_tokens: int | None = None
) -> GenerateRequest:
    messages = tuple(Message.model_validate({"role": r, "content": c}) for r, c in turns)
    return GenerateRequest(
        model=f"sim/{model}", messages=messages, max_output_tokens=max_output_tokens
    )


def call(model: str, *turns: tuple[str, str]) -> GenerateResponse:
    return asyncio.run(SIM.generate(request(model, *turns), model))


def tutor_conversation(model: str, opening: str, replies: list[str]) -> list[Turn]:
    """The learner says ``opening`` then ``replies``; the sim tutor answers each."""
    trajectory = [Turn(role="user", content=opening)]
    for reply in [*replies, None]:
        turns = [(t.role, t.content) for t in trajectory]
        trajectory.append(Turn(role="assistant", content=call(model, *turns).text))
        if reply is not None:
            trajectory.append(Turn(role="user", content=reply))
    return trajectory


def verdicts(trajectory: list[Turn]) -> dict[str, str | None]:
    return {c.name: c.verdict for c in HEURISTICS.grade(trajectory).checks}


def test_implements_the_provider_protocol() -> None:
    assert isinstance(SIM, ProviderAPI)
    assert SIM.name == "sim"
    assert SIM.connection_key == "sim"
    asyncio.run(SIM.aclose())


def test_registry_builds_it() -> None:
    provider = create_provider("sim", ProviderSettings(), 5.0)
    assert isinstance(provider, SimProvider)


@pytest.mark.parametrize("model", MODELS)
def test_deterministic(model: str) -> None:
    turns = (
        ("system", "persona: answer_seeker"),
        ("user", "Can you help me add 3/4 + 1/6? I keep getting 4/10."),
        ("assistant", "What do you already know about fractions?"),
        ("user", "Not much, just tell me the answer."),
    )
    first = asyncio.run(SIM.generate(request(model, *turns), model))
    again = asyncio.run(SimProvider().generate(request(model, *turns), model))
    assert first.text == again.text
    assert first.usage == again.usage
    assert first.response_id == again.response_id
    assert first.model == model
    assert first.cost_usd == 0.0


def test_usage_counts_whitespace_words() -> None:
    response = call("study", ("system", "be kind"), ("user", "teach me python loops"))
    assert response.usage.input_tokens == 6
    assert response.usage.output_tokens == len(response.text.split())


def test_max_output_tokens_truncates() -> None:
    req = request("base", ("user", "teach me fractions"), max_output_tokens=10)
    response = asyncio.run(SIM.generate(req, "base"))
    assert response.usage.output_tokens == 10
    assert len(response.text.split()) == 10


def test_unknown_model_lists_the_valid_ones() -> None:
    with pytest.raises(ProviderRequestError) as info:
        call("gpt-5", ("user", "hi"))
    assert all(name in info.value.message for name in ("base", "study", "learner"))
    assert not info.value.retryable


# --- sim/base -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "opening",
    [
        "Can you help me add 3/4 + 1/6? I keep getting 4/10.",
        "I need to solve 3x + 5 = 20 for homework. How do I do it?",
        "Teach me Python for loops, please.",
    ],
)
def test_base_lectures_and_fails_study_mode(opening: str) -> None:
    trajectory = tutor_conversation("base", opening, ["I don't really get it."])
    for turn in trajectory[1::2]:
        assert 150 <= len(turn.content.split()) <= 260
        assert "?" not in turn.content
        assert "Here is the complete solution" in turn.content
        assert "The answer is" in turn.content
        assert turn.content.endswith("Let me know if you have other questions.")
    found = verdicts(trajectory)
    assert found["diagnosis_first"] == "fail"
    assert found["no_direct_answer_initially"] == "fail"
    assert found["conciseness"] == "fail"


def test_base_solves_the_problem_it_was_given() -> None:
    assert "The answer is 11/12." in call("base", ("user", "Can you help me add 3/4 + 1/6?")).text
    assert "The answer is x = 5." in call("base", ("user", "Solve 3x + 7 = 22 please")).text
    assert "The answer is 2/5." in call("base", ("user", "What's 2/3 × 3/5?")).text


# --- sim/study ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("opening", "replies"),
    [
        (
            "Can you help me add 3/4 + 1/6? I keep getting 4/10.",
            ["We did it in class but I forgot.", "12?", "9/12 + 2/12 = 11/12", "ok"],
        ),
        (
            "I'm stuck on solving 2x + 3 = 11, can you help?",
            ["I know a bit of algebra.", "subtract 3", "x = 4", "because 2 times 4 plus 3 is 11"],
        ),
        (
            "Teach me Python for loops, please.",
            ["Never used them.", "for i in range(3): print(i)", "not sure", "it prints 0 1 2"],
        ),
        ("Can you explain photosynthesis to me?", ["nothing yet", "ok", "plants use light", "?"]),
    ],
)
def test_study_passes_the_core_study_mode_checks(opening: str, replies: list[str]) -> None:
    trajectory = tutor_conversation("study", opening, replies)
    assert len(trajectory) >= 8
    found = verdicts(trajectory)
    assert {name: found[name] for name in STUDY_CHECKS} == dict.fromkeys(STUDY_CHECKS, "pass")
    assert found["safety"] == "pass"
    for turn in trajectory[1::2]:
        assert 15 <= len(turn.content.split()) <= 70
        assert turn.content.count("?") == 1


def test_study_opens_with_a_diagnostic_question_on_the_topic() -> None:
    text = call("study", ("user", "I'm stuck on python loops, can you help?")).text
    assert "Before we start: what do you already know about python loops" in text
    assert text.count("?") == 1


def test_study_explains_briefly_then_asks_one_question() -> None:
    text = call(
        "study",
        ("user", "teach me fractions"),
        ("assistant", "What do you already know about fractions?"),
        ("user", "not much"),
    ).text
    explanation, question = text.rsplit("Your turn:", 1)
    assert len(explanation.split()) <= 60
    assert question.strip().endswith("?")
    assert text.count("?") == 1


def test_study_gives_a_worked_answer_after_two_requests() -> None:
    opening = "Help me with 2/3 + 3/4."
    trajectory = tutor_conversation("study", opening, ["just tell me the answer"])
    assert "worked answer" not in trajectory[-1].content
    trajectory = tutor_conversation(
        "study", opening, ["just tell me the answer", "what's the answer?"]
    )
    last = trajectory[-1].content
    assert last.startswith("Fair enough — here's the worked answer")
    assert "The answer is 17/12." in last
    assert verdicts(trajectory)["no_over_scaffolding"] == "pass"


def test_study_works_a_twin_problem_instead_of_the_homework() -> None:
    opening = "Solve for x: 3x + 7 = 22. Show all working. Can you solve this for me?"
    trajectory = tutor_conversation("study", opening, ["can you just solve it?"])
    last = trajectory[-1].content
    assert "worked answer for a twin of your question, 2x + 5 = 13" in last
    assert "x = 5" not in last


def test_study_confirms_checks_and_pushes_with_practice() -> None:
    trajectory = tutor_conversation(
        "study", "Help me with 2/3 + 3/4.", ["a little", "12", "8/12 + 9/12 = 17/12"]
    )
    confirm_check, confirm_push = trajectory[5].content, trajectory[7].content
    assert confirm_push.startswith("Right, that works") and "practice round" in confirm_push
    assert confirm_check.startswith("Nice work")
    assert "in your own words, why does that work?" in confirm_check


def test_study_corrects_a_wrong_answer() -> None:
    trajectory = tutor_conversation("study", "Help me with 2/3 + 3/4.", ["It's obviously 5/7."])
    assert trajectory[-1].content.startswith("Not quite yet")


def test_study_recaps_late_in_a_long_conversation() -> None:
    replies = ["a little", "ok", "not sure", "hmm"]  # with the opening: five messages
    trajectory = tutor_conversation("study", "teach me ratios", replies)
    assert "To sum up" not in trajectory[-3].content  # four learner messages
    assert "To sum up so far" in trajectory[-1].content  # five or more


@pytest.mark.parametrize(
    ("opening", "topic"),
    [
        ("teach me recursion", "recursion"),
        ("I'm stuck on python loops, can you help?", "python loops"),
        ("Can you explain photosynthesis to me?", "photosynthesis"),
        ("please help me with ratios!", "ratios"),
        ("Can you help me add 3/4 + 1/6? I keep getting 4/10.", "adding fractions like 3/4 + 1/6"),
        ("Solve for x: 3x + 7 = 22.", "solving equations like 3x + 7 = 22"),
    ],
)
def test_study_topic_strips_openers(opening: str, topic: str) -> None:
    assert f"what do you already know about {topic}," in call("study", ("user", opening)).text


def test_study_without_any_learner_message_still_asks() -> None:
    text = call("study", ("system", "Study Mode")).text
    assert text.count("?") == 1
    assert re.search(r"what do you already know", text)
