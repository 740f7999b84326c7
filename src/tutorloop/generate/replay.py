"""Replay one session through a model: the notebook's regenerated trajectory, under a condition.

Conditions: ``human`` (the logged tutor, no call), ``base`` (the model without an overlay) and
``overlay`` (the model with the overlay as its system message). Modes:

* ``teacher_forced``, as the Study Mode notebook does: for every learner turn, one tutor reply
  conditioned on the *logged* history up to that turn (the calls are independent and run
  concurrently);
* ``free_running``: each reply conditioned on the model's *own* earlier replies; learner turns
  come from the log, or from a simulated learner playing a persona card for up to ``max_turns``.
  A persona replays the logged session: the learner opens with the session's first learner
  message and its prompt carries the session's subject and logged learner messages
  (:func:`~tutorloop.generate.personas.persona_system_prompt` with the session), so the persona
  shapes the learner's behaviour and the session fixes the subject.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Literal

import anyio
from pydantic import BaseModel, ConfigDict, Field

from tutorloop.generate.model import CallContext
from tutorloop.generate.overlay import Overlay
from tutorloop.generate.personas import PersonaCard, persona_system_prompt, session_opening
from tutorloop.generate.types import GenerateRequest, GenerateResponse, Message, Purpose
from tutorloop.records import (
    Condition,
    Mode,
    RegenerationMeta,
    ReplayArtifact,
    Session,
    Turn,
    Usage,
)

REGENERATED_TAG = "regenerated"


class ReplaySpec(BaseModel):
    """What to replay a session as."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    model: str
    """The tutor under test, ``provider/model`` (ignored for ``human``)."""
    condition: Condition
    mode: Mode = "teacher_forced"
    overlay: Overlay | None = None
    """The overlay text; required for the ``overlay`` condition."""
    persona: PersonaCard | None = None
    """A simulated learner (``free_running`` only)."""
    learner_model: str = "sim/learner"
    max_turns: int = Field(default=6, ge=1)
    """Learner turns in a persona conversation."""
    temperature: float | None = None
    max_output_tokens: int | None = Field(default=None, ge=1)


def item_key(session_id: str, spec: ReplaySpec) -> str:
    """The run key of one replay: ``session|condition[|model][|persona]``."""
    parts = [session_id, spec.condition]
    if spec.condition != "human":
        parts.append(spec.model)
    if spec.persona is not None:
        parts.append(spec.persona.slug)
    return "|".join(parts)


async def replay_session(
    session: Session, spec: ReplaySpec, context: CallContext
) -> ReplayArtifact:
    """Replay ``session`` under ``spec``; provider errors propagate to the caller."""
    if spec.condition == "overlay" and spec.overlay is None:
        raise ValueError("the overlay condition needs an overlay")
    system = spec.overlay.text if spec.condition == "overlay" and spec.overlay else None
    responses: list[GenerateResponse] = []
    if spec.condition == "human":
        regenerated = [t.model_copy() for t in session.trajectory]
        model = "human"
    elif spec.mode == "teacher_forced":
        regenerated = await _teacher_forced(session.trajectory, system, spec, context, responses)
        model = spec.model
    else:
        regenerated = await _free_running(session, system, spec, context, responses)
        model = spec.model
    usage = Usage(
        input_tokens=sum(r.usage.input_tokens for r in responses),
        output_tokens=sum(r.usage.output_tokens for r in responses),
        calls=len(responses),
    )
    return ReplayArtifact(
        session_id=session.session_id,
        domain=session.domain,
        prompt=None,
        agent_instructions=system,
        original_trajectory=session.trajectory,
        regenerated_trajectory=regenerated,
        regeneration_meta=RegenerationMeta(
            model=model,
            timestamp=datetime.now(UTC).isoformat(timespec="seconds"),
            condition=spec.condition,
            mode=spec.mode,
            overlay_sha256=spec.overlay.sha256 if system and spec.overlay else None,
            persona=spec.persona.slug if spec.persona else None,
            usage=usage,
            cost_usd=_cost(responses),
        ),
    )


def _cost(responses: Sequence[GenerateResponse]) -> float | None:
    """What the replay's calls cost; None when any call's price is unknown."""
    costs = [r.cost_usd for r in responses]
    return None if None in costs else round(sum(c or 0.0 for c in costs), 8)


def _request(
    spec: ReplaySpec, system: str | None, history: Sequence[Turn], learner: bool = False
) -> GenerateRequest:
    messages = [Message(role="system", content=system)] if system else []
    messages += [Message(role=t.role, content=t.content) for t in history]
    return GenerateRequest(
        model=(spec.learner_model or spec.model) if learner else spec.model,
        messages=tuple(messages),
        temperature=spec.temperature,
        max_output_tokens=spec.max_output_tokens,
        purpose=Purpose.LEARNER if learner else Purpose.TUTOR,
    )


def _tutor_turn(response: GenerateResponse) -> Turn:
    text = response.text.strip() or "(empty reply)"
    return Turn(role="assistant", content=text, tags=[REGENERATED_TAG])


async def _teacher_forced(
    trajectory: list[Turn],
    system: str | None,
    spec: ReplaySpec,
    context: CallContext,
    responses: list[GenerateResponse],
) -> list[Turn]:
    learner_at = [i for i, turn in enumerate(trajectory) if turn.role == "user"]
    replies: dict[int, GenerateResponse] = {}
    failures: list[Exception] = []
    model = context.model(spec.model, role="tutor")

    async def one(index: int) -> None:
        try:
            replies[index] = await model.generate(_request(spec, system, trajectory[: index + 1]))
        except Exception as exc:
            failures.append(exc)

    if len(learner_at) == 1:  # one call: no task group to set up
        await one(learner_at[0])
    else:
        async with anyio.create_task_group() as group:
            for index in learner_at:
                group.start_soon(one, index)
    if failures:
        raise failures[0]
    regenerated: list[Turn] = []
    for index in learner_at:
        regenerated.append(trajectory[index])
        regenerated.append(_tutor_turn(replies[index]))
        responses.append(replies[index])
    return regenerated


async def _free_running(
    session: Session,
    system: str | None,
    spec: ReplaySpec,
    context: CallContext,
    responses: list[GenerateResponse],
) -> list[Turn]:
    tutor = context.model(spec.model, role="tutor")
    history: list[Turn] = []
    if spec.persona is None:
        for turn in session.trajectory:
            if turn.role != "user":
                continue
            history.append(turn)
            response = await tutor.generate(_request(spec, system, history))
            responses.append(response)
            history.append(_tutor_turn(response))
        return history
    learner = context.model(spec.learner_model, role="learner")
    card = persona_system_prompt(spec.persona, session)
    history.append(Turn(role="user", content=session_opening(session)))
    for turn_number in range(spec.max_turns):
        response = await tutor.generate(_request(spec, system, history))
        responses.append(response)
        history.append(_tutor_turn(response))
        if turn_number == spec.max_turns - 1:
            break
        flipped = [_flip(t) for t in history]
        said = await learner.generate(_request(spec, card, flipped, learner=True))
        responses.append(said)
        history.append(Turn(role="user", content=said.text.strip() or "..."))
    return history


def _flip(turn: Turn) -> Turn:
    """The learner model sees the tutor as ``user`` and itself as ``assistant``."""
    role: Literal["user", "assistant"] = "assistant" if turn.role == "user" else "user"
    return Turn(role=role, content=turn.content)
