"""Reviewers' labels on stored items, and the audit of every label write.

The tables come from the store's migration ``m004_labels``. A label and its audit line are
written in one transaction, and only for an item the run has: a label on a session the store
does not hold is refused with an error naming it. Labels are never overwritten: a reviewer who
changes their mind adds a label, and readers take each rater's newest
(:meth:`LabelTable.current`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tutorloop.errors import StoreError
from tutorloop.records import LabelAudit, LabelInput, ReviewLabel
from tutorloop.store._sqlite import Database, utc_now

__all__ = ["LabelTable", "UnknownItem"]


class UnknownItem(StoreError):
    """A label names a run or an item the store does not hold."""


@dataclass(frozen=True)
class _Item:
    session_id: str | None
    item_id: str
    grader_versions: dict[str, str]


class LabelTable:
    """The labels and their audit, on a store's connection."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def add(self, labels: Sequence[LabelInput], *, rater: str, actor: str) -> list[ReviewLabel]:
        """Store ``labels`` by ``rater`` (each input's own rater wins if set), audited as ``actor``.

        All or nothing: one transaction for the batch.

        Raises:
            UnknownItem: a label's run or item is not in the store (nothing is written).
        """
        stored: list[ReviewLabel] = []
        with self._db.write("write labels") as conn:
            for given in labels:
                item = self._item(conn, given.run_id, given.item_key)
                now = utc_now()
                label = ReviewLabel(
                    label_id=0,
                    run_id=given.run_id,
                    item_key=given.item_key,
                    session_id=item.session_id,
                    item_id=item.item_id
                    if given.turn is None
                    else f"{item.item_id}/turn-{given.turn}",
                    dimension=given.dimension,
                    value=given.value,
                    turn=given.turn,
                    note=given.note,
                    rater=given.rater or rater,
                    labelled_at=now,
                    grader_versions=item.grader_versions,
                )
                cursor = conn.execute(
                    "INSERT INTO labels (run_id, item_key, dimension, turn, rater, value, "
                    "labelled_at, label_json) VALUES (?, ?, ?, ?, ?, ?, ?, '{}')",
                    (label.run_id, label.item_key, label.dimension, label.turn, label.rater,
                     label.value, now),
                )  # fmt: skip
                label = label.model_copy(update={"label_id": int(cursor.lastrowid or 0)})
                conn.execute(
                    "UPDATE labels SET label_json = ? WHERE label_id = ?",
                    (label.model_dump_json(), label.label_id),
                )
                conn.execute(
                    "INSERT INTO label_audit (at, actor, action, label_id, run_id, item_key) "
                    "VALUES (?, ?, 'create', ?, ?, ?)",
                    (now, actor, label.label_id, label.run_id, label.item_key),
                )
                stored.append(label)
        return stored

    def find(
        self,
        run_id: str | None = None,
        item_key: str | None = None,
        rater: str | None = None,
        limit: int | None = None,
    ) -> list[ReviewLabel]:
        """Labels in the order they were written, filtered by run, item and rater."""
        where, params = _filters(run_id=run_id, item_key=item_key, rater=rater)
        sql = f"SELECT label_json FROM labels{where} ORDER BY label_id"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        with self._db.read("read labels") as conn:
            rows = conn.execute(sql, params).fetchall()
        return [ReviewLabel.model_validate_json(row[0]) for row in rows]

    def current(self, run_id: str | None = None) -> list[ReviewLabel]:
        """Each rater's newest label per item, turn and dimension (older ones are history)."""
        newest: dict[tuple[str, str, int | None, str, str], ReviewLabel] = {}
        for label in self.find(run_id=run_id):
            newest[(label.run_id, label.item_key, label.turn, label.dimension, label.rater)] = label
        return list(newest.values())

    def labelled_keys(self, run_id: str) -> dict[str, int]:
        """How many labels each item of the run has."""
        with self._db.read("count labels") as conn:
            rows = conn.execute(
                "SELECT item_key, COUNT(*) FROM labels WHERE run_id = ? GROUP BY item_key",
                (run_id,),
            ).fetchall()
        return {str(key): int(count) for key, count in rows}

    def audit(self, run_id: str | None = None) -> list[LabelAudit]:
        """The audit lines, oldest first."""
        where, params = _filters(run_id=run_id)
        with self._db.read("read the label audit") as conn:
            rows = conn.execute(
                "SELECT seq, at, actor, action, label_id, run_id, item_key "
                f"FROM label_audit{where} ORDER BY seq",
                params,
            ).fetchall()
        names = ("seq", "at", "actor", "action", "label_id", "run_id", "item_key")
        return [LabelAudit.model_validate(dict(zip(names, row, strict=True))) for row in rows]

    @staticmethod
    def _item(conn: Any, run_id: str, item_key: str) -> _Item:
        if conn.execute("SELECT 1 FROM runs WHERE run_id = ?", (run_id,)).fetchone() is None:
            raise UnknownItem(f"no run {run_id!r} in the store: label an item of a stored run")
        row = conn.execute(
            "SELECT session_id, condition FROM items WHERE run_id = ? AND item_key = ?",
            (run_id, item_key),
        ).fetchone()
        if row is None:
            raise UnknownItem(
                f"run {run_id!r} has no session {item_key!r}: use an item key the run's review "
                "queue (or GET /v1/runs/{run_id}) lists"
            )
        versions = conn.execute(
            "SELECT grader, grader_version FROM grades WHERE run_id = ? AND item_key = ?",
            (run_id, item_key),
        ).fetchall()
        session_id, condition = row
        logged = condition in (None, "human") and session_id
        return _Item(
            session_id=session_id,
            item_id=session_id if logged else item_key,  # as agreement names run items
            grader_versions={g: v or "" for g, v in versions},
        )


def _filters(**columns: object) -> tuple[str, list[object]]:
    wanted = {name: value for name, value in columns.items() if value is not None}
    if not wanted:
        return "", []
    return " WHERE " + " AND ".join(f"{name} = ?" for name in wanted), list(wanted.values())
