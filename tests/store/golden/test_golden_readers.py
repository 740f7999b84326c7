"""Every reader of the store answers as pinned, for new stores and stores in the old format."""

from __future__ import annotations

import gzip
import json
import sqlite3
from pathlib import Path
from typing import Any

from tests.store.golden.corpus import READERS, ROWS, TABLES, build, readers
from tutorloop.store import MIGRATIONS, migrate

OLD_FORMAT = 8
"""Migrations m001–m008: the schema whose grade rows each kept their check's JSON."""


def _load(path: Path) -> Any:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return json.load(handle)


def _assert_same(got: dict[str, Any], want: dict[str, Any]) -> None:
    for run_id in want:
        for reader in want[run_id]:
            a, b = got[run_id][reader], want[run_id][reader]
            if a != b:
                if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
                    first = next(i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y)
                    raise AssertionError(
                        f"{run_id} {reader}[{first}] differs:\n"
                        f"expected {json.dumps(b[first])[:2000]}\n"
                        f"got      {json.dumps(a[first])[:2000]}"
                    )
                raise AssertionError(f"{run_id} {reader} differs: {str(a)[:2000]} != {b}")
    assert got == want


def test_a_new_store_reads_as_pinned(tmp_path: Path) -> None:
    path = build(tmp_path)
    _assert_same(readers(path, tmp_path), _load(READERS))


def test_a_store_in_the_old_format_reads_as_pinned(tmp_path: Path) -> None:
    path = tmp_path / "golden.db"
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, MIGRATIONS[:OLD_FORMAT])
    rows = _load(ROWS)
    conn.execute("BEGIN")
    for table in TABLES:
        for row in rows[table]:
            marks = ",".join("?" * len(row))
            conn.execute(f"INSERT INTO {table} VALUES ({marks})", row)
    conn.execute("COMMIT")
    conn.close()
    _assert_same(readers(path, tmp_path), _load(READERS))
