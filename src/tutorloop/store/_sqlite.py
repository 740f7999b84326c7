"""Shared SQLite helpers: one shared connection, one explicit transaction, errors as StoreErrors."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from tutorloop.errors import StoreError


def utc_now() -> str:
    """The current UTC time as an ISO 8601 string with milliseconds."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Run the block in one ``BEGIN IMMEDIATE … COMMIT``; roll back if anything raises."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
        raise


def explain(path: Path, action: str, exc: sqlite3.Error) -> str:
    """A StoreError message for ``exc``: what failed, where, and what to do next."""
    text = str(exc)
    lowered = text.lower()
    if isinstance(exc, sqlite3.ProgrammingError) and "closed" in lowered:
        hint = "the store is closed; open it again with Store.open()"
    elif "locked" in lowered or "busy" in lowered:
        hint = (
            "another process is writing to the store; wait for it to finish, "
            "or point TUTORLOOP_HOME at another directory"
        )
    elif "not a database" in lowered or "malformed" in lowered or "encrypted" in lowered:
        hint = "the file is not an SQLite database or is damaged; " + recovery_hint(path)
    elif "unable to open" in lowered or "readonly" in lowered:
        hint = f"check that {path.parent} exists and is writable"
    else:
        hint = f"check free disk space and permissions of {path.parent}"
    return f"cannot {action} in {path}: {text}; {hint}"


def recovery_hint(path: Path) -> str:
    """What to do with a damaged store file: restore a backup, or move it aside and recover."""
    return (
        "restore it from a backup, or move it aside (a new store is then created in its place) "
        f'and recover what you can with: sqlite3 {path} ".recover" | sqlite3 recovered.db'
    )


class IntegrityChecks:
    """Which store files this process has checked with ``PRAGMA quick_check``.

    A file is checked on its first open only (a scan of the whole file, too slow for every
    transaction); a file replaced since (another inode) is checked again.
    """

    def __init__(self) -> None:
        self._done: set[tuple[str, int, int]] = set()
        self._lock = threading.Lock()

    def check(self, conn: sqlite3.Connection, path: Path) -> None:
        """Run ``PRAGMA quick_check`` on ``path`` unless done already.

        Raises:
            StoreError: the check failed; the message says how to restore or recover the file.
        """
        try:
            stat = path.stat()
        except OSError:
            return
        if stat.st_size == 0:
            return
        key = (str(path.resolve()), stat.st_dev, stat.st_ino)
        with self._lock:
            if key in self._done:
                return
            try:
                rows = conn.execute("PRAGMA quick_check(5)").fetchall()
            except sqlite3.OperationalError:
                raise  # locked or busy: not damage; the caller explains it
            except sqlite3.DatabaseError as exc:
                raise StoreError(_damaged(path, str(exc))) from exc
            found = [str(row[0]) for row in rows]
            if found != ["ok"]:
                raise StoreError(_damaged(path, "; ".join(found)))
            self._done.add(key)

    def forget(self) -> None:
        """Check every file again on its next open (for tests)."""
        with self._lock:
            self._done.clear()


def _damaged(path: Path, found: str) -> str:
    return (
        f"the store is damaged (PRAGMA quick_check found: {found}); nothing was written to it; "
        + recovery_hint(path)
    )


INTEGRITY = IntegrityChecks()
"""The process's record of checked store files."""


@contextmanager
def store_errors(path: Path, action: str) -> Iterator[None]:
    """Turn any ``sqlite3.Error`` raised in the block into a :class:`StoreError`."""
    try:
        yield
    except sqlite3.Error as exc:
        raise StoreError(explain(path, action, exc)) from exc


_T = TypeVar("_T")


class Database:
    """One SQLite connection shared by every thread of the process, one use at a time.

    The connection is in autocommit mode; :meth:`write` wraps a block in one ``BEGIN IMMEDIATE
    … COMMIT``. Every use holds one re-entrant lock, so a transaction is never interleaved with
    another thread's statements. A stream holds the lock only while it fetches a batch.
    """

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path
        self.lock = threading.RLock()

    @contextmanager
    def read(self, action: str) -> Iterator[sqlite3.Connection]:
        """The connection, under the lock; ``sqlite3`` errors become :class:`StoreError`."""
        with self.lock, store_errors(self.path, action):
            yield self.conn

    @contextmanager
    def write(self, action: str) -> Iterator[sqlite3.Connection]:
        """The connection in one transaction, under the lock; errors roll it back."""
        with self.lock, store_errors(self.path, action), transaction(self.conn) as conn:
            yield conn

    def stream(
        self,
        action: str,
        sql: str,
        params: tuple[Any, ...],
        batch_size: int,
        make: Callable[[Any], _T],
    ) -> Iterator[_T]:
        """The rows of ``sql`` made into records, fetched ``batch_size`` at a time."""
        with self.read(action) as conn:
            cursor = conn.execute(sql, params)
        try:
            while True:
                with self.read(action):
                    rows = cursor.fetchmany(batch_size)
                if not rows:
                    return
                for row in rows:
                    yield make(row)
        finally:
            with self.lock:
                cursor.close()

    def close(self) -> None:
        """Close the connection; calling it twice is harmless."""
        with self.lock:
            self.conn.close()
