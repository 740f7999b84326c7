"""What the loader yields: a gradable item, a skipped file, or a problem."""

from __future__ import annotations

from dataclasses import dataclass

from tutorloop.errors import Problem
from tutorloop.records import ReplayArtifact, Session, Turn


@dataclass(frozen=True, slots=True)
class Item:
    """One trajectory to grade, with where it came from."""

    key: str
    """Unique within a run: ``session_id`` plus ``|condition`` for replayed trajectories."""
    session_id: str
    domain: str
    condition: str | None
    trajectory: list[Turn]
    origin: str
    """``path`` or ``path:line`` of the record."""
    record: Session | ReplayArtifact

    @property
    def learner_profile(self) -> dict[str, object] | None:
        """The session's learner profile, when the record has one."""
        return self.record.learner_profile if isinstance(self.record, Session) else None


@dataclass(frozen=True, slots=True)
class Skipped:
    """A file in a folder that is not a session, said plainly instead of failing the load."""

    path: str
    reason: str


Loaded = Item | Skipped | Problem


def items_of(record: Session | ReplayArtifact, origin: str) -> list[Item]:
    """The gradable trajectories of a record: a session has one; an artifact its regenerated one."""
    if isinstance(record, Session):
        return [
            Item(
                key=record.session_id,
                session_id=record.session_id,
                domain=record.domain,
                condition=None,
                trajectory=record.trajectory,
                origin=origin,
                record=record,
            )
        ]
    condition = record.regeneration_meta.condition
    return [
        Item(
            key=f"{record.session_id}|{condition}",
            session_id=record.session_id,
            domain=record.domain,
            condition=condition,
            trajectory=record.regenerated_trajectory,
            origin=origin,
            record=record,
        )
    ]
