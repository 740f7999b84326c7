from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tutorloop.errors import StoreError
from tutorloop.store import MIGRATIONS, Store, migrate


def _tables(conn: sqlite3.Connection) -> set[str]:
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {row[0] for row in rows}


def test_migrations_apply_once_and_are_recorded(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "db.sqlite", isolation_level=None)
    assert migrate(conn) == [name for name, _ in MIGRATIONS]
    assert {"runs", "items", "grades", "_migrations"} <= _tables(conn)
    recorded = conn.execute("SELECT name, applied_at FROM _migrations").fetchall()
    assert [name for name, _ in recorded] == [name for name, _ in MIGRATIONS]
    assert all(applied_at for _, applied_at in recorded)
    assert migrate(conn) == []
    assert conn.execute("SELECT name, applied_at FROM _migrations").fetchall() == recorded
    conn.close()


def test_migrate_works_on_a_default_mode_connection(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "db.sqlite")  # legacy implicit-transaction mode
    assert migrate(conn) == [name for name, _ in MIGRATIONS]
    assert not conn.in_transaction
    conn.close()


def test_reopening_does_not_reapply(tmp_path: Path) -> None:
    path = tmp_path / "tutorloop.db"
    Store.open(path).close()
    conn = sqlite3.connect(path)
    before = conn.execute("SELECT name, applied_at FROM _migrations").fetchall()
    conn.close()
    Store.open(path).close()
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT name, applied_at FROM _migrations").fetchall() == before
    conn.close()


def test_unknown_migration_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "tutorloop.db"
    Store.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO _migrations VALUES ('m999_from_the_future', 'later')")
    conn.commit()
    with pytest.raises(StoreError, match="newer tutorloop") as info:
        migrate(conn)
    assert "m999_from_the_future" in info.value.message
    assert "upgrade" in info.value.message
    conn.close()
    with pytest.raises(StoreError) as opened:
        Store.open(path)
    assert str(path) in opened.value.message


def test_failing_migration_leaves_nothing_behind(tmp_path: Path) -> None:
    def bad(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE half (x INTEGER)")
        conn.execute("INSERT INTO half VALUES (1)")
        raise RuntimeError("disk on fire")

    conn = sqlite3.connect(tmp_path / "db.sqlite", isolation_level=None)
    with pytest.raises(StoreError, match=r"m999_bad.*disk on fire"):
        migrate(conn, [*MIGRATIONS, ("m999_bad", bad)])
    assert "half" not in _tables(conn)
    names = [row[0] for row in conn.execute("SELECT name FROM _migrations")]
    assert names == [name for name, _ in MIGRATIONS]  # the good ones before it stay applied
    assert not conn.in_transaction
    conn.close()


def test_failing_first_migration_leaves_an_empty_database(tmp_path: Path) -> None:
    def bad(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE half (x INTEGER)")
        raise RuntimeError("nope")

    conn = sqlite3.connect(tmp_path / "db.sqlite", isolation_level=None)
    with pytest.raises(StoreError):
        migrate(conn, [("m001_bad", bad)])
    assert _tables(conn) == set()
    conn.close()


def test_store_uses_wal_and_foreign_keys(store: Store) -> None:
    conn = sqlite3.connect(store.path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()
    assert store._conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert store._conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    assert store._conn.execute("PRAGMA busy_timeout").fetchone()[0] == 5000


def test_indexes_exist(store: Store) -> None:
    rows = store._conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'").fetchall()
    assert {"items_by_seq", "items_by_escalate"} <= {row[0] for row in rows}
