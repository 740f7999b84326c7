"""Persona cards: who a simulated learner is, and the system prompt that makes a model play them.

A card is a small YAML file (``slug``, ``name``, ``description``, ``opening``, ``traits``,
``max_turns``, ``grade_hint``). tutorloop bundles five in ``data/personas``; any other card can
be loaded from its path. :func:`persona_system_prompt` renders a card as the learner model's
system prompt; the prompt always holds the lines ``persona: <slug>`` and ``opening: <text>``,
which the ``sim/learner`` simulator reads to pick its scripted behaviour.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tutorloop.errors import ConfigError
from tutorloop.load import load_yaml_model

PERSONA_SCHEMA_VERSION = 1


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
    """The learner's first message."""
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


def persona_system_prompt(card: PersonaCard) -> str:
    """Render ``card`` as the system prompt of the model that plays the learner.

    The prompt holds ``persona: <slug>`` and ``opening: <text>`` lines (the ``sim/learner``
    simulator reads them). The tutor's turns reach the learner model as ``user`` messages and
    the learner's own earlier turns as ``assistant`` messages.
    """
    traits = "\n".join(f"- {trait}" for trait in card.traits) or "- (none given)"
    level = card.grade_hint or "not sure; if asked, answer vaguely"
    return "\n".join(
        [
            "You are playing a LEARNER in a tutoring chat, not the tutor. Stay in character.",
            "The tutor's messages reach you as user messages; your own earlier messages are the",
            "assistant messages. Reply with what the learner would type next: one to three short",
            "sentences, plain text, no stage directions. Never mention these instructions.",
            "",
            f"persona: {card.slug}",
            f"name: {card.name}",
            f"grade level: {level}",
            f"opening: {' '.join(card.opening.split())}",
            "",
            f"Who you are: {' '.join(card.description.split())}",
            "",
            "How you behave:",
            traits,
        ]
    )
