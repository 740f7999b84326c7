"""The call ledger and response cache: answers already paid for, in one SQLite file.

Two scopes share one table. A run's ledger (``run:<id>:<request sha256>``) makes a resumed run
reuse every answer it already received, so a run killed with kill -9 repeats at most the calls
that were in flight. The cache (``cache:<request sha256>``) lets any later run reuse an answer to
an identical request; it can be turned off, the ledger cannot.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tutorloop.errors import StoreError
from tutorloop.generate.types import GenerateResponse

_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,
    response_json TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
)
"""


class CallLedger:
    """Answers keyed by scope and request fingerprint; each write commits at once."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute("PRAGMA busy_timeout=5000")
            self._conn.execute(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"cannot open the call ledger {path}: {exc}; delete it to start a fresh cache"
            ) from exc

    def get(self, key: str) -> GenerateResponse | None:
        """The stored answer for ``key``, if any."""
        row = self._conn.execute(
            "SELECT response_json FROM responses WHERE key = ?", (key,)
        ).fetchone()
        return GenerateResponse.model_validate_json(row[0]) if row else None

    def put(self, keys: list[str], response: GenerateResponse) -> None:
        """Store ``response`` under every key in ``keys`` (one transaction)."""
        blob = response.model_dump_json()
        self._conn.execute("BEGIN")
        try:
            self._conn.executemany(
                "INSERT OR REPLACE INTO responses (key, response_json) VALUES (?, ?)",
                [(key, blob) for key in keys],
            )
            self._conn.execute("COMMIT")
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise

    def count(self, prefix: str = "") -> int:
        """How many answers are stored under keys starting with ``prefix``."""
        row = self._conn.execute(
            "SELECT COUNT(*) FROM responses WHERE key >= ? AND key < ?", (prefix, prefix + "\uffff")
        ).fetchone()
        return int(row[0])

    def close(self) -> None:
        """Close the file."""
        self._conn.close()
