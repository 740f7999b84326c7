"""Replay artifacts in the store: one row per replayed session, written with its done-mark."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from tutorloop.records import ReplayArtifact
from tutorloop.store._sqlite import Database, utc_now


@dataclass(frozen=True)
class ArtifactOutcome:
    """A finished replay: the artifact, or the error that stopped it."""

    item_key: str
    session_id: str
    condition: str
    model: str
    mode: str
    persona: str | None
    source: str | None
    artifact: ReplayArtifact | None
    error_type: str | None = None
    error_message: str | None = None

    def __post_init__(self) -> None:
        if self.artifact is None and self.error_type is None:
            raise ValueError("an ArtifactOutcome needs an artifact or an error")


@dataclass(frozen=True)
class StoredArtifact:
    """An artifact row read back; ``artifact`` is parsed on first use."""

    item_key: str
    session_id: str
    condition: str
    model: str
    status: str
    source: str | None
    artifact_json: str | None
    error_type: str | None
    error_message: str | None

    @cached_property
    def artifact(self) -> ReplayArtifact | None:
        """The replayed session, or None for an errored replay."""
        if self.artifact_json is None:
            return None
        return ReplayArtifact.model_validate_json(self.artifact_json)


_INSERT = """
    INSERT OR IGNORE INTO artifacts (
        run_id, item_key, session_id, condition, model, mode, persona, source, status,
        artifact_json, error_type, error_message, calls, cost_usd, seq, created_at
    ) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
        (SELECT COALESCE(MAX(seq), 0) + 1 FROM artifacts WHERE run_id = ?), ?)
"""
_COLUMNS = (
    "item_key, session_id, condition, model, status, source, artifact_json, error_type, "
    "error_message"
)


def insert_artifact(conn: sqlite3.Connection, run_id: str, outcome: ArtifactOutcome) -> bool:
    """Store one outcome (inside the caller's transaction); False when its key was stored."""
    artifact = outcome.artifact
    meta = artifact.regeneration_meta if artifact else None
    row = (
        run_id,
        outcome.item_key,
        outcome.session_id,
        outcome.condition,
        outcome.model,
        outcome.mode,
        outcome.persona,
        outcome.source,
        "done" if artifact is not None else "error",
        artifact.model_dump_json() if artifact else None,
        outcome.error_type,
        outcome.error_message,
        meta.usage.calls if meta and meta.usage else 0,
        meta.cost_usd if meta and meta.cost_usd is not None else 0.0,
        run_id,
        utc_now(),
    )
    return bool(conn.execute(_INSERT, row).rowcount == 1)


def artifact_keys(conn: sqlite3.Connection, run_id: str) -> set[str]:
    """Keys of the replays stored for the run (done or errored)."""
    return {
        r[0] for r in conn.execute("SELECT item_key FROM artifacts WHERE run_id = ?", (run_id,))
    }


def artifact_facets(
    conn: sqlite3.Connection, run_id: str
) -> dict[str, tuple[str | None, str | None]]:
    """``item_key → (model, persona)`` of the run's replays (columns only, no JSON parsed)."""
    rows = conn.execute(
        "SELECT item_key, model, persona FROM artifacts WHERE run_id = ?", (run_id,)
    )
    return {str(key): (model, persona) for key, model, persona in rows}


def iter_artifacts(db: Database, run_id: str, batch_size: int = 500) -> Iterator[StoredArtifact]:
    """The run's stored replays in the order they finished, streamed."""
    sql = f"SELECT {_COLUMNS} FROM artifacts WHERE run_id = ? ORDER BY seq"
    return db.stream("read replay artifacts", sql, (run_id,), batch_size, _stored)


def some_artifacts(conn: sqlite3.Connection, run_id: str, keys: list[str]) -> list[StoredArtifact]:
    """The run's stored replays of ``keys`` (by primary key, 500 keys a query)."""
    found: list[StoredArtifact] = []
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        marks = ",".join("?" * len(chunk))
        sql = f"SELECT {_COLUMNS} FROM artifacts WHERE run_id = ? AND item_key IN ({marks})"
        found.extend(_stored(row) for row in conn.execute(sql, (run_id, *chunk)))
    return found


def _stored(row: Any) -> StoredArtifact:
    return StoredArtifact(*row)


def count_artifacts(conn: sqlite3.Connection, run_id: str) -> tuple[int, int]:
    """``(done, errored)`` replays stored for the run."""
    row = conn.execute(
        "SELECT COALESCE(SUM(status = 'done'), 0), COALESCE(SUM(status = 'error'), 0) "
        "FROM artifacts WHERE run_id = ?",
        (run_id,),
    ).fetchone()
    return int(row[0]), int(row[1])
