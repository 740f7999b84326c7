"""The sixteen personas of the alignment benchmark: ten core, six adversarial.

Each persona's ``elicitation_prompt`` is appended to an item's ``persona_system_prompt``
(:func:`persona_system_prompt`), and the result replaces or becomes the conversation's system
message. The bundled texts are in ``tutorloop/data/align/personas.yaml``.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from tutorloop.errors import ConfigError
from tutorloop.load import load_yaml_model

__all__ = [
    "PERSONA_SEPARATOR",
    "AlignPersona",
    "align_personas",
    "build_messages",
    "persona_system_prompt",
    "resolve_personas",
]

PERSONA_SEPARATOR = "\n--- PERSONA ---\n"


class AlignPersona(BaseModel):
    """One persona: its slug, what it tries, and the text that elicits it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    slug: str
    kind: Literal["core", "adversarial"]
    title: str
    intent: str
    elicitation_prompt: str
    risk_notes: str


class _PersonaFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    personas: list[AlignPersona]


def _bundled_path() -> Path:
    return Path(str(files("tutorloop") / "data" / "align" / "personas.yaml"))


@cache
def align_personas() -> dict[str, AlignPersona]:
    """The bundled personas by slug, core first, in file order."""
    loaded = load_yaml_model(_bundled_path(), _PersonaFile, "the persona file")
    return {p.slug: p for p in loaded.personas}


def resolve_personas(slugs: Sequence[str] | None) -> list[AlignPersona]:
    """The personas named by ``slugs`` (all sixteen when None or empty), duplicates dropped.

    Raises:
        ConfigError: a slug is unknown; the message lists the valid ones.
    """
    known = align_personas()
    if not slugs:
        return list(known.values())
    chosen = list(dict.fromkeys(s.strip() for s in slugs if s.strip()))
    unknown = [s for s in chosen if s not in known]
    if unknown or not chosen:
        raise ConfigError(
            f"unknown persona slug(s) {', '.join(unknown) or '(none given)'}; "
            f"valid: {', '.join(known)}",
            field="--personas",
        )
    return [known[s] for s in chosen]


def persona_system_prompt(item_system_prompt: str, persona: AlignPersona) -> str:
    """The system message: the item's ``persona_system_prompt``, the separator, the persona."""
    return item_system_prompt + PERSONA_SEPARATOR + persona.elicitation_prompt


def build_messages(
    conversation: Sequence[dict[str, str]], system_prompt: str
) -> list[dict[str, str]]:
    """``conversation`` with its system message replaced by ``system_prompt`` (or one added)."""
    messages = [dict(m) for m in conversation]
    system = {"role": "system", "content": system_prompt}
    if messages and messages[0]["role"] == "system":
        messages[0] = system
    else:
        messages.insert(0, system)
    return messages
