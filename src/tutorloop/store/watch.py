"""What watching production keeps: seen sessions, followed files, the review queue, alerts.

The tables come from the store's migration ``m008_watch``:

* ``watch_sessions``: one row per session graded by a watcher or ``POST /v1/ingest``, keyed by
  the session's item key, across every watch run. It is written in the same transaction as the
  item and its grades, so a session is graded exactly once however often it arrives, and by
  whichever process (the watcher, the service) sees it first. It keeps what drift needs: the
  session's time, its segment (model, overlay, domain, persona) and its verdicts.
* ``watch_files``: how far each followed file has been read (offset and line), committed with
  the results of the lines before it, so a restarted watcher resumes where it stopped.
* ``review_samples``: the sessions put into the review queue, with the reason.
* ``alert_episodes`` and ``alert_deliveries``: an episode is opened once when a rule fires and
  closed when it clears; each webhook delivery is kept until it is delivered.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tutorloop.store._rows import insert_outcomes
from tutorloop.store._sqlite import Database, utc_now
from tutorloop.store.outcome import ItemOutcome

__all__ = [
    "AlertDelivery",
    "AlertEpisode",
    "FileOffset",
    "ReviewSample",
    "WatchRow",
    "WatchTables",
    "Watched",
]


@dataclass(frozen=True)
class WatchRow:
    """One watched session's segment and verdicts, as drift reads them."""

    item_key: str
    run_id: str
    at: float
    """The session's time (epoch seconds): its own timestamp, or when it arrived."""
    arrived_at: float
    model: str | None = None
    overlay: str | None = None
    domain: str | None = None
    persona: str | None = None
    errored: bool = False
    escalate: bool | None = None
    fidelity: float | None = None
    checks: dict[str, bool] = field(default_factory=dict)
    """Each check's verdict (``True`` passed)."""
    failures: list[str] = field(default_factory=list)
    """The failure classes of the session."""


@dataclass(frozen=True)
class Watched:
    """A graded session to store: its outcome, its watch row and why it is sampled, if it is."""

    outcome: ItemOutcome
    row: WatchRow
    sample_reason: str | None = None


@dataclass(frozen=True)
class FileOffset:
    """How far a followed file has been read."""

    path: str
    offset: int
    """Bytes read and handled (the start of the first line not yet handled)."""
    line: int
    """Lines read and handled."""
    size: int
    mtime: float


@dataclass(frozen=True)
class ReviewSample:
    """A session in the review queue and why it is there."""

    run_id: str
    item_key: str
    reason: str
    at: str


@dataclass(frozen=True)
class AlertEpisode:
    """One episode of one rule: opened when it fired, closed when it cleared."""

    episode_id: int
    rule: str
    opened_at: str
    closed_at: str | None
    event: dict[str, Any]


@dataclass(frozen=True)
class AlertDelivery:
    """A webhook delivery of an episode's alert, pending until delivered."""

    delivery_id: int
    episode_id: int
    url: str
    body: str
    attempts: int
    next_at: float


_ROW_COLUMNS = (
    "item_key, run_id, at, arrived_at, model, overlay, domain, persona, errored, escalate, "
    "fidelity, checks_json, failures_json"
)


class WatchTables:
    """The watch tables, on a store's connection."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # sessions

    def seen(self, keys: Iterable[str] | None = None) -> set[str]:
        """The keys of ``keys`` (or of every session) already graded by a watch."""
        with self._db.read("read the watched sessions") as conn:
            if keys is None:
                return {row[0] for row in conn.execute("SELECT item_key FROM watch_sessions")}
            wanted = list(keys)
            found: set[str] = set()
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                marks = ",".join("?" * len(chunk))
                sql = f"SELECT item_key FROM watch_sessions WHERE item_key IN ({marks})"
                found.update(row[0] for row in conn.execute(sql, chunk))
            return found

    def write(self, batch: Sequence[Watched], offsets: Sequence[FileOffset] = ()) -> list[Watched]:
        """Store each new session with its item, grades and sample, and ``offsets``, at once.

        One transaction: a session already watched (by any run, any process) is skipped with
        everything it carries. Every run named by a row must exist. Returns the new sessions.
        """
        new: list[Watched] = []
        with self._db.write("write watched sessions") as conn:
            for watched in batch:
                row = watched.row
                cursor = conn.execute(
                    f"INSERT OR IGNORE INTO watch_sessions ({_ROW_COLUMNS}) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    _row_values(row),
                )
                if cursor.rowcount != 1:
                    continue
                if not insert_outcomes(conn, row.run_id, [watched.outcome]):
                    raise sqlite3.IntegrityError(
                        f"run {row.run_id!r} is missing or already holds {row.item_key!r}"
                    )
                if watched.sample_reason:
                    conn.execute(
                        "INSERT OR IGNORE INTO review_samples VALUES (?, ?, ?, ?)",
                        (row.run_id, row.item_key, watched.sample_reason, utc_now()),
                    )
                new.append(watched)
            _put_offsets(conn, offsets)
        return new

    def rows(self, since: float | None = None, until: float | None = None) -> list[WatchRow]:
        """The watched sessions with ``since <= at < until``, in time order."""
        sql = f"SELECT {_ROW_COLUMNS} FROM watch_sessions WHERE at >= ? AND at < ? ORDER BY at"
        low = float("-inf") if since is None else since
        high = float("inf") if until is None else until
        with self._db.read("read the watched sessions") as conn:
            return [_parse_row(row) for row in conn.execute(sql, (low, high))]

    def span(self) -> tuple[float, float] | None:
        """The earliest and latest session time watched (None before the first)."""
        with self._db.read("read the watched sessions") as conn:
            low, high = conn.execute("SELECT MIN(at), MAX(at) FROM watch_sessions").fetchone()
        return None if low is None else (float(low), float(high))

    def count(self) -> int:
        """How many sessions have been watched."""
        with self._db.read("count the watched sessions") as conn:
            return int(conn.execute("SELECT COUNT(*) FROM watch_sessions").fetchone()[0])

    def version_counts(self, column: str, values: Iterable[str]) -> dict[str, int]:
        """Sessions watched so far of each of ``values`` of ``column`` (``model``, ``overlay``)."""
        if column not in ("model", "overlay"):
            raise ValueError(f"not a version column: {column!r}")
        counts: dict[str, int] = {}
        with self._db.read("count sessions per version") as conn:
            for value in set(values):
                sql = f"SELECT COUNT(*) FROM watch_sessions WHERE {column} = ?"
                counts[value] = int(conn.execute(sql, (value,)).fetchone()[0])
        return counts

    # followed files

    def offsets(self) -> dict[str, FileOffset]:
        """How far each followed file has been read."""
        with self._db.read("read the followed files") as conn:
            rows = conn.execute("SELECT path, offset, line, size, mtime FROM watch_files")
            return {row[0]: FileOffset(*row) for row in rows}

    def put_offsets(self, offsets: Sequence[FileOffset]) -> None:
        """Record how far files have been read (when no session comes with it)."""
        if offsets:
            with self._db.write("record the followed files") as conn:
                _put_offsets(conn, offsets)

    # the review queue

    def review_samples(self, run_id: str | None = None) -> list[ReviewSample]:
        """The review queue (of one run, or every run), oldest first."""
        sql = "SELECT run_id, item_key, reason, at FROM review_samples"
        params: tuple[str, ...] = ()
        if run_id is not None:
            sql += " WHERE run_id = ?"
            params = (run_id,)
        with self._db.read("read the review queue") as conn:
            return [ReviewSample(*row) for row in conn.execute(sql + " ORDER BY at", params)]

    # alerts

    def open_episode(
        self, rule: str, event: dict[str, Any], urls: Sequence[str], now: float
    ) -> AlertEpisode | None:
        """Open an episode of ``rule`` with its deliveries, unless one is open (then None)."""
        with self._db.write("open an alert") as conn:
            found = conn.execute(
                "SELECT 1 FROM alert_episodes WHERE rule = ? AND closed_at IS NULL", (rule,)
            ).fetchone()
            if found:
                return None
            opened = utc_now()
            body = json.dumps(event, sort_keys=True)
            cursor = conn.execute(
                "INSERT INTO alert_episodes (rule, opened_at, event_json) VALUES (?, ?, ?)",
                (rule, opened, body),
            )
            episode = int(cursor.lastrowid or 0)
            for url in urls:
                conn.execute(
                    "INSERT INTO alert_deliveries (episode_id, url, body, next_at) "
                    "VALUES (?, ?, ?, ?)",
                    (episode, url, body, now),
                )
        return AlertEpisode(episode, rule, opened, None, event)

    def close_episode(self, rule: str) -> bool:
        """Close the open episode of ``rule``; False when none is open."""
        with self._db.write("close an alert") as conn:
            cursor = conn.execute(
                "UPDATE alert_episodes SET closed_at = ? WHERE rule = ? AND closed_at IS NULL",
                (utc_now(), rule),
            )
            return cursor.rowcount > 0

    def episodes(self, *, open_only: bool = False) -> list[AlertEpisode]:
        """Alert episodes, newest first."""
        sql = "SELECT episode_id, rule, opened_at, closed_at, event_json FROM alert_episodes"
        if open_only:
            sql += " WHERE closed_at IS NULL"
        with self._db.read("read the alerts") as conn:
            rows = conn.execute(sql + " ORDER BY episode_id DESC").fetchall()
        return [AlertEpisode(r[0], r[1], r[2], r[3], json.loads(r[4])) for r in rows]

    def pending_deliveries(self, now: float | None = None) -> list[AlertDelivery]:
        """Deliveries not yet delivered (due by ``now``, when given), oldest first."""
        sql = (
            "SELECT delivery_id, episode_id, url, body, attempts, next_at FROM alert_deliveries "
            "WHERE delivered_at IS NULL AND next_at <= ? ORDER BY delivery_id"
        )
        with self._db.read("read the alert deliveries") as conn:
            rows = conn.execute(sql, (float("inf") if now is None else now,)).fetchall()
        return [AlertDelivery(*row) for row in rows]

    def claim_due(self, now: float, lease: float) -> list[AlertDelivery]:
        """Take the deliveries due by ``now`` for ``lease`` seconds, so no other process sends them.

        Each is then marked :meth:`delivered` or :meth:`delivery_failed`.
        """
        sql = (
            "SELECT delivery_id, episode_id, url, body, attempts, next_at FROM alert_deliveries "
            "WHERE delivered_at IS NULL AND next_at <= ? ORDER BY delivery_id"
        )
        with self._db.write("claim alert deliveries") as conn:
            due = [AlertDelivery(*row) for row in conn.execute(sql, (now,)).fetchall()]
            conn.executemany(
                "UPDATE alert_deliveries SET next_at = ? WHERE delivery_id = ?",
                [(now + lease, d.delivery_id) for d in due],
            )
        return due

    def delivered(self, delivery_id: int, attempts: int) -> None:
        """Mark a delivery delivered after ``attempts`` tries."""
        with self._db.write("mark an alert delivered") as conn:
            conn.execute(
                "UPDATE alert_deliveries SET delivered_at = ?, attempts = ?, last_error = NULL "
                "WHERE delivery_id = ?",
                (utc_now(), attempts, delivery_id),
            )

    def delivery_failed(self, delivery_id: int, attempts: int, error: str, next_at: float) -> None:
        """Keep a delivery pending: its tries so far, its last error, when to try next."""
        with self._db.write("keep an alert delivery") as conn:
            conn.execute(
                "UPDATE alert_deliveries SET attempts = ?, last_error = ?, next_at = ? "
                "WHERE delivery_id = ?",
                (attempts, error[:500], next_at, delivery_id),
            )

    def deliveries(self) -> list[dict[str, Any]]:
        """Every delivery with its state (for the monitor and tests)."""
        sql = (
            "SELECT delivery_id, episode_id, url, attempts, delivered_at, last_error "
            "FROM alert_deliveries ORDER BY delivery_id"
        )
        names = ("delivery_id", "episode_id", "url", "attempts", "delivered_at", "last_error")
        with self._db.read("read the alert deliveries") as conn:
            return [dict(zip(names, row, strict=True)) for row in conn.execute(sql)]


def _row_values(row: WatchRow) -> tuple[Any, ...]:
    return (
        row.item_key,
        row.run_id,
        row.at,
        row.arrived_at,
        row.model,
        row.overlay,
        row.domain,
        row.persona,
        int(row.errored),
        None if row.escalate is None else int(row.escalate),
        row.fidelity,
        json.dumps(row.checks, sort_keys=True),
        json.dumps(row.failures),
    )


def _parse_row(row: Sequence[Any]) -> WatchRow:
    return WatchRow(
        item_key=row[0],
        run_id=row[1],
        at=row[2],
        arrived_at=row[3],
        model=row[4],
        overlay=row[5],
        domain=row[6],
        persona=row[7],
        errored=bool(row[8]),
        escalate=None if row[9] is None else bool(row[9]),
        fidelity=row[10],
        checks=json.loads(row[11]),
        failures=json.loads(row[12]),
    )


def _put_offsets(conn: sqlite3.Connection, offsets: Sequence[FileOffset]) -> None:
    conn.executemany(
        "INSERT INTO watch_files (path, offset, line, size, mtime) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT(path) DO UPDATE SET offset = excluded.offset, line = excluded.line, "
        "size = excluded.size, mtime = excluded.mtime",
        [(o.path, o.offset, o.line, o.size, o.mtime) for o in offsets],
    )
