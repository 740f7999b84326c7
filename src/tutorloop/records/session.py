"""A tutoring session: the input record, exactly the Study Mode format plus optional fields."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tutorloop.records._base import VersionedRecord

Role = Literal["user", "assistant"]


class Turn(BaseModel):
    """One message of a trajectory."""

    model_config = ConfigDict(extra="forbid")

    role: Role
    """Who speaks: the learner (``user``) or the tutor (``assistant``)."""
    content: str = Field(min_length=1)
    """What was said; never empty."""
    tags: list[str] | None = None
    """Free labels an author or a tool put on the turn (the Study Mode sessions tag tutor turns)."""

    @field_validator("content")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("content is blank; every turn must say something")
        return value


class Session(VersionedRecord):
    """A logged or hand-written tutoring session (``{session_id, domain, trajectory}``)."""

    SCHEMA_VERSION = 1
    LEGACY_VERSION = 1  # the Study Mode format carries no schema_version and is version 1

    session_id: str = Field(min_length=1)
    """Stable id; Study Mode sessions use the file stem, e.g. ``programming.python.intro.001``."""
    domain: str = Field(min_length=1)
    """Subject area, e.g. ``programming``, ``ai``, ``math``; a dotted sub-area is allowed."""
    trajectory: list[Turn] = Field(min_length=1)
    """The turns in order; must not be empty."""
    title: str | None = None
    """Optional human title."""
    learner_profile: dict[str, Any] | None = None
    """What is known about the learner (stated level, goals), if anything."""
    metadata: dict[str, Any] | None = None
    """Anything else: provenance, expected grades of a bundled example, custom fields."""

    @property
    def assistant_turns(self) -> list[tuple[int, Turn]]:
        """``(index, turn)`` for every tutor turn."""
        return [(i, t) for i, t in enumerate(self.trajectory) if t.role == "assistant"]
