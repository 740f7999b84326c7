"""Files, evals, runs and output items of the OpenAI-Evals-compatible API, in the store's SQLite.

The tables are created by the store's migration ``m003_evals_api``; objects are kept as the JSON
the API returns, plus the columns lists and lookups need. Each output item row is the done-mark
of its data-source item, so a run resumed after a restart grades only the items it lacks.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from tutorloop.store import Store

__all__ = ["ApiTables", "Page"]

Order = Literal["asc", "desc"]
Page = tuple[list[dict[str, Any]], bool]
"""A page of objects and whether more follow."""

_KINDS = {"evals": "api_evals", "runs": "api_runs", "files": "api_files"}


class ApiTables:
    """One connection to the store file, shared by the service's requests and runs."""

    def __init__(self, path: Path) -> None:
        Store.open(path).close()  # create and migrate the store
        self.path = path
        self._conn = sqlite3.connect(
            path, isolation_level=None, timeout=5.0, check_same_thread=False
        )
        self._conn.execute("PRAGMA busy_timeout = 5000")
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
                self._conn.execute("COMMIT")
            except BaseException:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise

    def _one(self, sql: str, params: tuple[Any, ...]) -> Any:
        with self._lock:
            return self._conn.execute(sql, params).fetchone()

    # files

    def put_file(self, obj: dict[str, Any], content: bytes) -> None:
        """Store an uploaded file and its object."""
        with self._write() as conn:
            conn.execute(
                "INSERT INTO api_files (id, created_at, object_json, content) VALUES (?, ?, ?, ?)",
                (obj["id"], obj["created_at"], json.dumps(obj), content),
            )

    def get_file(self, file_id: str) -> dict[str, Any] | None:
        """The file object, or None."""
        row = self._one("SELECT object_json FROM api_files WHERE id = ?", (file_id,))
        return None if row is None else dict(json.loads(row[0]))

    def file_content(self, file_id: str) -> bytes | None:
        """The bytes of an uploaded file, or None."""
        row = self._one("SELECT content FROM api_files WHERE id = ?", (file_id,))
        return None if row is None else bytes(row[0])

    def delete_file(self, file_id: str) -> bool:
        """Delete a file; False when there was none."""
        with self._write() as conn:
            return conn.execute("DELETE FROM api_files WHERE id = ?", (file_id,)).rowcount == 1

    # evals and runs

    def put_eval(self, obj: dict[str, Any]) -> None:
        """Insert or replace an eval object."""
        with self._write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO api_evals (id, created_at, object_json) VALUES (?, ?, ?)",
                (obj["id"], obj["created_at"], json.dumps(obj)),
            )

    def get_eval(self, eval_id: str) -> dict[str, Any] | None:
        """The eval object, or None."""
        row = self._one("SELECT object_json FROM api_evals WHERE id = ?", (eval_id,))
        return None if row is None else dict(json.loads(row[0]))

    def delete_eval(self, eval_id: str) -> bool:
        """Delete an eval with its runs and their output items; False when there was none."""
        with self._write() as conn:
            runs = [
                r[0] for r in conn.execute("SELECT id FROM api_runs WHERE eval_id = ?", (eval_id,))
            ]
            for run_id in runs:
                conn.execute("DELETE FROM api_output_items WHERE run_id = ?", (run_id,))
            conn.execute("DELETE FROM api_runs WHERE eval_id = ?", (eval_id,))
            return conn.execute("DELETE FROM api_evals WHERE id = ?", (eval_id,)).rowcount == 1

    def put_run(self, obj: dict[str, Any]) -> None:
        """Insert or replace a run object."""
        with self._write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO api_runs (id, eval_id, status, created_at, object_json) "
                "VALUES (?, ?, ?, ?, ?)",
                (obj["id"], obj["eval_id"], obj["status"], obj["created_at"], json.dumps(obj)),
            )

    def get_run(self, run_id: str) -> dict[str, Any] | None:
        """The run object, or None."""
        row = self._one("SELECT object_json FROM api_runs WHERE id = ?", (run_id,))
        return None if row is None else dict(json.loads(row[0]))

    def delete_run(self, run_id: str) -> bool:
        """Delete a run and its output items; False when there was none."""
        with self._write() as conn:
            conn.execute("DELETE FROM api_output_items WHERE run_id = ?", (run_id,))
            return conn.execute("DELETE FROM api_runs WHERE id = ?", (run_id,)).rowcount == 1

    def unfinished_runs(self) -> list[str]:
        """Runs left ``queued`` or ``in_progress`` (by a restart), oldest first."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT id FROM api_runs WHERE status IN ('queued', 'in_progress') ORDER BY rowid"
            ).fetchall()
        return [row[0] for row in rows]

    def page(
        self,
        kind: Literal["evals", "runs"],
        *,
        after: str | None,
        limit: int,
        order: Order,
        eval_id: str | None = None,
        status: str | None = None,
    ) -> Page:
        """A page of evals or runs (of ``eval_id``), in creation order, after the id ``after``."""
        table = _KINDS[kind]
        where, params = ["1 = 1"], []
        if eval_id is not None:
            where.append("eval_id = ?")
            params.append(eval_id)
        if status is not None:
            where.append("status = ?")
            params.append(status)
        return self._page(table, "rowid", where, params, after, limit, order)

    # output items

    def put_output_item(self, obj: dict[str, Any]) -> bool:
        """Store one output item (the done-mark of its data-source item); False if already kept."""
        with self._write() as conn:
            cursor = conn.execute(
                "INSERT OR IGNORE INTO api_output_items "
                "(id, run_id, datasource_item_id, status, object_json) VALUES (?, ?, ?, ?, ?)",
                (
                    obj["id"],
                    obj["run_id"],
                    obj["datasource_item_id"],
                    obj["status"],
                    json.dumps(obj),
                ),
            )
            return cursor.rowcount == 1

    def done_items(self, run_id: str) -> set[int]:
        """``datasource_item_id`` of the run's stored output items."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT datasource_item_id FROM api_output_items WHERE run_id = ?", (run_id,)
            ).fetchall()
        return {row[0] for row in rows}

    def iter_output_items(self, run_id: str) -> Iterator[dict[str, Any]]:
        """Every output item of the run, in data-source order."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT object_json FROM api_output_items WHERE run_id = ? "
                "ORDER BY datasource_item_id",
                (run_id,),
            ).fetchall()
        for row in rows:
            yield dict(json.loads(row[0]))

    def get_output_item(self, run_id: str, item_id: str) -> dict[str, Any] | None:
        """One output item of the run, or None."""
        row = self._one(
            "SELECT object_json FROM api_output_items WHERE run_id = ? AND id = ?",
            (run_id, item_id),
        )
        return None if row is None else dict(json.loads(row[0]))

    def output_item_page(
        self, run_id: str, *, after: str | None, limit: int, order: Order, status: str | None
    ) -> Page:
        """A page of the run's output items (``status`` ``pass``/``fail`` filters)."""
        where, params = ["run_id = ?"], [run_id]
        if status is not None:
            where.append("status = ?")
            params.append(status)
        return self._page(
            "api_output_items", "datasource_item_id", where, params, after, limit, order
        )

    def _page(
        self,
        table: str,
        key: str,
        where: list[str],
        params: list[Any],
        after: str | None,
        limit: int,
        order: Order,
    ) -> Page:
        clauses, values = list(where), list(params)
        if after:
            found = self._one(f"SELECT {key} FROM {table} WHERE id = ?", (after,))
            if found is not None:
                clauses.append(f"{key} {'>' if order == 'asc' else '<'} ?")
                values.append(found[0])
        direction = "ASC" if order == "asc" else "DESC"
        sql = (
            f"SELECT object_json FROM {table} WHERE {' AND '.join(clauses)} "
            f"ORDER BY {key} {direction} LIMIT ?"
        )
        with self._lock:
            rows = self._conn.execute(sql, (*values, limit + 1)).fetchall()
        objects = [dict(json.loads(row[0])) for row in rows[:limit]]
        return objects, len(rows) > limit
