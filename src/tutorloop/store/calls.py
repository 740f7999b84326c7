"""The call ledger's file (``calls.db``): answers already paid for, as JSON text under a key.

One table, ``responses(key, response_json, created_at)``. The generate stage decides what a key
means (a run's ledger ``run:<id>:<request sha256>``, the cache ``cache:<request sha256>``, the
judge's verdicts) and what the text holds; this module only keeps it. Each write commits at
once, so an answer is kept before the result it feeds is, and a run killed with kill -9 repeats
at most the calls that were in flight.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tutorloop.errors import StoreError
from tutorloop.store._sqlite import Database

__all__ = ["CallStore", "LedgerStats"]

_SINCE = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ?)"
"""The time ``?`` (e.g. ``-60.0 seconds``) from now, written as ``created_at`` is."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,
    response_json TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
)
"""


@dataclass(frozen=True)
class LedgerStats:
    """What a part of the call ledger holds."""

    entries: int
    expired: int
    """Entries older than the age asked about (0 when none was asked)."""
    bytes: int
    """Size of the stored answers (JSON text)."""
    oldest: str | None
    newest: str | None


class CallStore:
    """One ``calls.db`` file, shared by the threads of a process; close it when done."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(path, isolation_level=None, timeout=5.0, check_same_thread=False)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(
                f"cannot open the call ledger {path}: {exc}; check that {path.parent} is writable"
            ) from exc
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")  # survives kill -9; not power loss
            conn.execute("PRAGMA busy_timeout=5000")
            conn.execute(_SCHEMA)
        except sqlite3.Error as exc:
            conn.close()
            raise StoreError(
                f"cannot open the call ledger {path}: {exc}; delete it to start a fresh cache"
            ) from exc
        self._db = Database(conn, path)

    def get(self, key: str, max_age_s: float | None = None) -> str | None:
        """The text stored under ``key``, if any (and not older than ``max_age_s`` seconds)."""
        sql = "SELECT response_json FROM responses WHERE key = ?"
        args: tuple[object, ...] = (key,)
        if max_age_s is not None:
            sql += f" AND created_at >= {_SINCE}"
            args += (f"-{max_age_s:f} seconds",)
        with self._db.read("read the call ledger") as conn:
            found = conn.execute(sql, args).fetchone()
        return None if found is None else str(found[0])

    def put(self, keys: Sequence[str], text: str) -> None:
        """Store ``text`` under every key in ``keys`` (one transaction; a key is replaced)."""
        with self._db.write("write the call ledger") as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO responses (key, response_json) VALUES (?, ?)",
                [(key, text) for key in keys],
            )

    def count(self, prefix: str = "") -> int:
        """How many answers are stored under keys starting with ``prefix``."""
        with self._db.read("count the call ledger") as conn:
            row = conn.execute(
                "SELECT COUNT(*) FROM responses WHERE key >= ? AND key < ?",
                (prefix, prefix + "\uffff"),
            ).fetchone()
        return int(row[0])

    def stats(self, prefix: str, max_age_s: float | None = None) -> LedgerStats:
        """Answers under ``prefix``: count, how many are older than ``max_age_s``, size, dates."""
        expired = "0"
        args: tuple[object, ...] = ()
        if max_age_s is not None:
            expired = f"COALESCE(SUM(created_at < {_SINCE}), 0)"
            args = (f"-{max_age_s:f} seconds",)
        with self._db.read("read the call ledger") as conn:
            row = conn.execute(
                f"SELECT COUNT(*), {expired}, COALESCE(SUM(LENGTH(response_json)), 0),"
                " MIN(created_at), MAX(created_at) FROM responses WHERE key >= ? AND key < ?",
                (*args, prefix, prefix + "\uffff"),
            ).fetchone()
        return LedgerStats(int(row[0]), int(row[1]), int(row[2]), row[3], row[4])

    def clear(self, prefix: str, older_than_s: float | None = None) -> int:
        """Delete the answers under ``prefix`` (older than ``older_than_s`` s); how many went."""
        sql = "DELETE FROM responses WHERE key >= ? AND key < ?"
        args: tuple[object, ...] = (prefix, prefix + "\uffff")
        if older_than_s is not None:
            sql += f" AND created_at < {_SINCE}"
            args += (f"-{older_than_s:f} seconds",)
        with self._db.write("clear the call ledger") as conn:
            deleted = conn.execute(sql, args).rowcount
        return int(deleted)

    def close(self) -> None:
        """Close the file; calling it twice is harmless."""
        self._db.close()
