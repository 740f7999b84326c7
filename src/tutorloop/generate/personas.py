"""Persona cards: who a simulated learner is, and the system prompt that makes a model play them.

A card is a small YAML file (``slug``, ``name``, ``description``, ``opening``, ``traits``,
``max_turns``, ``grade_hint``). tutorloop bundles five in ``data/personas``; any other card can
be loaded from its path. :func:`persona_system_prompt` renders a card as the learner model's
system prompt; the prompt always holds the lines ``persona: <slug>`` and ``opening: <text>``,
which the ``sim/learner`` simulator reads to pick its scripted behaviour.

A card shapes how the learner behaves, never what they study. When a logged session is
replayed under a persona, the prompt is built for that session: its subject
(:func:`session_topic`) in a ``topic: <text>`` line, its first learner message as the opening
(the card's own opening and its example subject are not used), and the session's logged
learner messages listed after the line :data:`LOGGED_TURNS_HEADER`, one ``- <text>`` line each,
with the instruction to keep to that subject.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tutorloop.errors import ConfigError
from tutorloop.load import load_yaml_model
from tutorloop.records import Session

PERSONA_SCHEMA_VERSION = 1
LOGGED_TURNS_HEADER = "The logged learner's messages in this session, in order:"
"""The line after which a session-bound learner prompt lists the logged learner messages."""


class PersonaCard(BaseModel):
    """A simulated learner: who they are, how they open, and how long they talk."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: int = PERSONA_SCHEMA_VERSION
    slug: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    """Short id, lower case with underscores, e.g. ``answer_seeker``."""
    name: str = Field(min_length=1)
    """Human name of the persona."""
    description: str = Field(min_length=1)
    """One paragraph: who the learner is and what the card tests."""
    opening: str = Field(min_length=1)
    """The learner's first message when no logged session is replayed (a replayed session
    opens with its own first learner message)."""
    traits: list[str] = Field(default_factory=list)
    """Short behaviour notes, e.g. ``gives short answers``."""
    max_turns: int = Field(default=6, ge=1, le=50)
    """Learner turns in a simulated conversation."""
    grade_hint: str | None = None
    """The learner's level if they know it (``grade 7``), else None."""

    @field_validator("schema_version")
    @classmethod
    def _known_version(cls, value: int) -> int:
        if value > PERSONA_SCHEMA_VERSION:
            raise ValueError(
                f"schema_version {value} is newer than this tutorloop reads "
                f"({PERSONA_SCHEMA_VERSION}); upgrade tutorloop"
            )
        return value

    @field_validator("name", "description", "opening")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value


def _bundled_dir() -> Path:
    return Path(str(files("tutorloop") / "data" / "personas"))


def bundled_personas() -> list[str]:
    """The slugs of the bundled persona cards, sorted."""
    return sorted(p.stem for p in _bundled_dir().glob("*.yaml"))


def load_persona(slug_or_path: str | Path) -> PersonaCard:
    """Load a bundled persona by slug, or a persona card from a YAML file.

    Args:
        slug_or_path: A bundled slug such as ``timeboxed``, or the path of a ``.yaml`` file.

    Returns:
        The validated card.

    Raises:
        ConfigError: The slug is unknown (the message lists the valid ones), or the file cannot
            be read or is not a valid card (the message names the file and the field).
    """
    text = str(slug_or_path)
    is_path = isinstance(slug_or_path, Path) or text.endswith((".yaml", ".yml")) or "/" in text
    if not is_path:
        valid = bundled_personas()
        if text not in valid:
            raise ConfigError(
                f"unknown persona '{text}'; choose one of: {', '.join(valid)}, "
                "or give the path of a persona YAML file",
                field="persona",
            )
        return _load_file(_bundled_dir() / f"{text}.yaml")
    return _load_file(Path(slug_or_path))


def _load_file(file: Path) -> PersonaCard:
    return load_yaml_model(file, PersonaCard, "the persona file")


def session_topic(session: Session) -> str:
    """The subject of a logged session: its title, else the words of its id after the domain.

    ``programming.python.loops.103`` gives ``python loops`` (numbers and the domain dropped,
    underscores read as spaces); an id without dots gives the domain.
    """
    if session.title and session.title.strip():
        return " ".join(session.title.split())
    parts = [p for p in session.session_id.split(".") if p and not p.isdigit()]
    if parts and parts[0] == session.domain:
        parts = parts[1:]
    words = " ".join(p.replace("_", " ").replace("-", " ") for p in parts).split()
    return " ".join(words) or session.domain


def session_opening(session: Session) -> str:
    """The logged session's first learner message (where a replayed learner starts)."""
    return next(t.content for t in session.trajectory if t.role == "user")


def persona_system_prompt(card: PersonaCard, session: Session | None = None) -> str:
    """Render ``card`` as the system prompt of the model that plays the learner.

    The prompt holds ``persona: <slug>`` and ``opening: <text>`` lines (the ``sim/learner``
    simulator reads them). The tutor's turns reach the learner model as ``user`` messages and
    the learner's own earlier turns as ``assistant`` messages. With ``session`` the learner
    replays that session: the ``topic:`` line names its subject, the opening is its first
    learner message, its logged learner messages follow :data:`LOGGED_TURNS_HEADER`, and the
    prompt says to keep to that subject in the persona's manner.
    """
    traits = "\n".join(f"- {trait}" for trait in card.traits) or "- (none given)"
    level = card.grade_hint or "not sure; if asked, answer vaguely"
    head = [
        "You are playing a LEARNER in a tutoring chat, not the tutor. Stay in character.",
        "The tutor's messages reach you as user messages; your own earlier messages are the",
        "assistant messages. Reply with what the learner would type next: one to three short",
        "sentences, plain text, no stage directions. Never mention these instructions.",
        "",
        f"persona: {card.slug}",
        f"name: {card.name}",
        f"grade level: {level}",
    ]
    who = [
        "",
        f"Who you are: {' '.join(card.description.split())}",
        "",
        "How you behave:",
        traits,
    ]
    if session is None:
        return "\n".join([*head, f"opening: {' '.join(card.opening.split())}", *who])
    topic = session_topic(session)
    logged = [f"- {' '.join(t.content.split())}" for t in session.trajectory if t.role == "user"]
    return "\n".join(
        [
            *head,
            f"topic: {topic}",
            f"opening: {' '.join(session_opening(session).split())}",
            "",
            f"This chat replays a logged tutoring session about {topic}. You opened it with the",
            "opening above, the logged learner's own first message. Keep every message on that",
            "subject and build on what the logged learner asked and answered. Your persona",
            "decides HOW you behave (tone, patience, mistakes, what you ask for), never WHAT you",
            "study: ignore any other subject or example named in the persona's description.",
            *who,
            "",
            LOGGED_TURNS_HEADER,
            *logged,
        ]
    )
