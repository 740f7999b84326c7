"""How a store's connection is set up: page size of new and old files, WAL and its limits."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tutorloop.store import Store


def _pragma(store: Store, name: str) -> object:
    with store._db.read("test") as conn:
        return conn.execute(f"PRAGMA {name}").fetchone()[0]


def test_a_new_store_has_16_kib_pages_and_a_bounded_wal(tmp_path: Path) -> None:
    with Store.open(tmp_path / "new.db") as store:
        assert _pragma(store, "page_size") == 16384
        assert _pragma(store, "journal_mode") == "wal"
        assert _pragma(store, "synchronous") == 1  # NORMAL
        assert _pragma(store, "wal_autocheckpoint") == 2048
        assert _pragma(store, "journal_size_limit") == 32 * 1024 * 1024


def test_an_existing_store_keeps_its_page_size(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA page_size = 4096")
    conn.execute("CREATE TABLE t (x)")
    conn.close()
    with Store.open(path) as store:
        assert _pragma(store, "page_size") == 4096
        assert store.list_runs() == []
