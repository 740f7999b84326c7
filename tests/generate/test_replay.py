"""Replay of one session: conditions, modes, simulated learners, what is sent to the model."""

import asyncio
import hashlib

import pytest

from tutorloop.generate import CallContext, CallPolicy, ProviderSettings
from tutorloop.generate.overlay import load_overlay
from tutorloop.generate.personas import bundled_personas, load_persona
from tutorloop.generate.replay import ReplaySpec, item_key, replay_session
from tutorloop.records import Session

SESSION = Session(
    session_id="s.replay.001",
    domain="math",
    trajectory=[
        {"role": "user", "content": "help me add 1/2 + 1/3"},
        {"role": "assistant", "content": "Sure. What do you already know about fractions?"},
        {"role": "user", "content": "not much"},
        {"role": "assistant", "content": "A fraction names part of a whole. What is 1/2 of 6?"},
        {"role": "user", "content": "3"},
    ],
)


def replay(spec: ReplaySpec, context: CallContext | None = None):
    async def run():
        async with context or CallContext(CallPolicy(cache=False)) as ctx:
            return await replay_session(SESSION, spec, ctx), ctx

    return asyncio.run(run())


def test_human_is_the_logged_tutor_and_costs_nothing():
    artifact, ctx = replay(ReplaySpec(model="sim/study", condition="human"))
    assert artifact.regenerated_trajectory == SESSION.trajectory
    assert artifact.regeneration_meta.model == "human" and ctx.stats.calls == 0


def test_teacher_forced_answers_every_learner_turn_from_the_logged_history():
    overlay = load_overlay(None)
    spec = ReplaySpec(model="sim/study", condition="overlay", overlay=overlay)
    artifact, ctx = replay(spec)
    roles = [t.role for t in artifact.regenerated_trajectory]
    assert roles == ["user", "assistant"] * 3
    tutor = [t for t in artifact.regenerated_trajectory if t.role == "assistant"]
    assert all(t.tags == ["regenerated"] for t in tutor)
    meta = artifact.regeneration_meta
    assert meta.usage is not None and meta.usage.calls == 3 == ctx.stats.calls
    assert meta.overlay_sha256 == hashlib.sha256(overlay.text.encode()).hexdigest()
    assert artifact.agent_instructions == overlay.text
    assert artifact.original_trajectory == SESSION.trajectory


def test_base_sends_no_system_message_and_overlay_does(openai_wire, monkeypatch, tmp_path):
    monkeypatch.setenv("OPENAI_API_KEY", openai_wire.api_key)
    overlay = load_overlay(None)
    for condition in ("base", "overlay"):
        ctx = CallContext(CallPolicy(cache=False), ProviderSettings(base_url=openai_wire.base_url))
        spec = ReplaySpec(model="openai/tutor", condition=condition, overlay=overlay)
        replay(spec, ctx)
    systems = [
        [m for m in entry["messages"] if m["role"] == "system"] for entry in openai_wire.state.log
    ]
    assert [len(s) for s in systems] == [0, 0, 0, 1, 1, 1]
    assert systems[-1][0]["content"] == overlay.text
    # teacher forcing: the reply to the last learner turn saw the logged tutor turns
    last = max(openai_wire.state.log, key=lambda e: len(e["messages"]))
    assert SESSION.trajectory[3].content in [m["content"] for m in last["messages"]]


def test_free_running_with_a_persona_plays_the_learner():
    persona = load_persona("answer_seeker")
    spec = ReplaySpec(
        model="sim/study", condition="base", mode="free_running", persona=persona, max_turns=4
    )
    artifact, ctx = replay(spec)
    turns = artifact.regenerated_trajectory
    assert turns[0].content == SESSION.trajectory[0].content
    assert [t.role for t in turns] == ["user", "assistant"] * 4
    assert any("answer" in t.content.lower() for t in turns[2::2])
    assert artifact.regeneration_meta.persona == "answer_seeker"
    assert ctx.stats.calls == 4 + 3


def test_free_running_without_a_persona_uses_the_logged_learner_turns():
    spec = ReplaySpec(model="sim/study", condition="base", mode="free_running")
    artifact, _ = replay(spec)
    learner = [t.content for t in artifact.regenerated_trajectory if t.role == "user"]
    assert learner == [t.content for t in SESSION.trajectory if t.role == "user"]


def test_the_overlay_condition_needs_an_overlay():
    with pytest.raises(ValueError, match="overlay"):
        replay(ReplaySpec(model="sim/study", condition="overlay"))


def test_item_keys_name_condition_model_and_persona():
    persona = load_persona("timeboxed")
    assert item_key("s", ReplaySpec(model="m/x", condition="human")) == "s|human"
    assert item_key("s", ReplaySpec(model="m/x", condition="base")) == "s|base|m/x"
    spec = ReplaySpec(model="m/x", condition="base", mode="free_running", persona=persona)
    assert item_key("s", spec) == "s|base|m/x|timeboxed"


PROGRAMMING = Session(
    session_id="programming.python.loops.900",
    domain="programming",
    trajectory=[
        {"role": "user", "content": "How do I write a for loop over a Python list?"},
        {"role": "assistant", "content": "What have you tried so far?"},
        {"role": "user", "content": "I wrote for item in items but nothing printed in Python."},
        {"role": "assistant", "content": "What is inside the loop body?"},
        {"role": "user", "content": "Oh, the print call was not indented under the loop."},
    ],
)
SUBJECT = ("python", "loop", "list")
FRACTIONS = ("2/3", "3/4", "fraction", "percentage", "5x", "3x")


@pytest.mark.parametrize("slug", bundled_personas())
def test_a_persona_replay_keeps_the_logged_sessions_topic(slug):
    persona = load_persona(slug)
    spec = ReplaySpec(
        model="sim/study", condition="base", mode="free_running", persona=persona, max_turns=6
    )

    async def run():
        async with CallContext(CallPolicy(cache=False)) as ctx:
            return await replay_session(PROGRAMMING, spec, ctx)

    artifact = asyncio.run(run())
    learner = [t.content for t in artifact.regenerated_trajectory if t.role == "user"]
    assert learner[0] == PROGRAMMING.trajectory[0].content  # the logged opening
    assert len(learner) == 6
    on_topic = [t for t in learner if any(w in t.lower() for w in SUBJECT)]
    assert len(on_topic) >= len(learner) // 2, learner
    assert not [t for t in learner if any(w in t.lower() for w in FRACTIONS)], learner
    assert artifact.regeneration_meta.persona == slug


def test_a_learner_model_is_told_the_sessions_topic_and_opening(openai_wire, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", openai_wire.api_key)
    openai_wire.state.responder = lambda body: "I still get an error in my Python loop."
    persona = load_persona("answer_seeker")
    spec = ReplaySpec(
        model="sim/study", condition="base", mode="free_running", persona=persona,
        learner_model="openai/learner", max_turns=3,
    )  # fmt: skip
    ctx = CallContext(CallPolicy(cache=False), ProviderSettings(base_url=openai_wire.base_url))

    async def run():
        async with ctx:
            return await replay_session(PROGRAMMING, spec, ctx)

    artifact = asyncio.run(run())
    assert artifact.regenerated_trajectory[0].content == PROGRAMMING.trajectory[0].content
    (first, *_) = openai_wire.state.log
    system = first["messages"][0]
    assert system["role"] == "system"
    assert "\ntopic: python loops\n" in system["content"]
    assert f"\nopening: {PROGRAMMING.trajectory[0].content}\n" in system["content"]
    assert "Keep every message on that" in system["content"]
    assert persona.opening not in system["content"]
    assert PROGRAMMING.trajectory[2].content in system["content"]  # the logged learner turns
    # the learner model saw the logged opening as its own first message
    assert first["messages"][1] == {
        "role": "assistant",
        "content": PROGRAMMING.trajectory[0].content,
    }
