"""Files, evals, runs and output items of the OpenAI-Evals-compatible API, in the store's SQLite.

The tables are created by the store's migration ``m003_evals_api`` and used through the store's
own connection (:attr:`tutorloop.store.Store.evals_api`). Objects are kept as the JSON the API
returns, plus the columns lists and lookups need. Each output item row is the done-mark of its
data-source item, written in one transaction with the item of tutorloop's run of the same id
(:meth:`EvalsApiTables.write_output_items`), so a run resumed after a restart, even one killed
with ``kill -9``, grades only the items it lacks and its report has each item exactly once.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator, Sequence
from typing import Any, Literal

from tutorloop.errors import StoreError
from tutorloop.store._rows import insert_outcomes
from tutorloop.store._sqlite import Database
from tutorloop.store.outcome import ItemOutcome

__all__ = ["EvalsApiTables", "Page"]

_UNKNOWN_AFTER = "after: no {} with id {!r} in this list: pass the last_id of the page before"

Order = Literal["asc", "desc"]
OrderBy = Literal["created_at", "updated_at"]
Page = tuple[list[dict[str, Any]], bool]
"""A page of objects and whether more follow."""

_KINDS = {"evals": "api_evals", "runs": "api_runs", "files": "api_files"}


class EvalsApiTables:
    """The API's objects on a store's connection, shared by the service's requests and runs."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def _one(self, sql: str, params: tuple[Any, ...]) -> Any:
        with self._db.read("read the API's objects") as conn:
            return conn.execute(sql, params).fetchone()

    # files

    def put_file(self, obj: dict[str, Any], content: bytes) -> None:
        """Store an uploaded file and its object."""
        with self._db.write("write the API's objects") as conn:
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

    def file_page(
        self, *, after: str | None, limit: int, order: Order, purpose: str | None = None
    ) -> Page:
        """A page of file objects (of ``purpose``), in upload order, after the id ``after``.

        Raises:
            LookupError: ``after`` names no file.
        """
        where, params = ["1 = 1"], []
        if purpose is not None:
            where.append("json_extract(object_json, '$.purpose') = ?")
            params.append(purpose)
        return self._page("api_files", ("rowid",), where, params, after, limit, order, "file")

    def delete_file(self, file_id: str) -> bool:
        """Delete a file; False when there was none."""
        with self._db.write("write the API's objects") as conn:
            return conn.execute("DELETE FROM api_files WHERE id = ?", (file_id,)).rowcount == 1

    # evals and runs

    def put_eval(self, obj: dict[str, Any]) -> None:
        """Insert an eval object, or replace it in place (its place in lists by creation stays)."""
        with self._db.write("write the API's objects") as conn:
            conn.execute(
                "INSERT INTO api_evals (id, created_at, object_json, updated_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
                "object_json = excluded.object_json, updated_at = excluded.updated_at",
                (obj["id"], obj["created_at"], json.dumps(obj), time.time()),
            )

    def get_eval(self, eval_id: str) -> dict[str, Any] | None:
        """The eval object, or None."""
        row = self._one("SELECT object_json FROM api_evals WHERE id = ?", (eval_id,))
        return None if row is None else dict(json.loads(row[0]))

    def delete_eval(self, eval_id: str) -> bool:
        """Delete an eval with its runs and their output items; False when there was none."""
        with self._db.write("write the API's objects") as conn:
            runs = [
                r[0] for r in conn.execute("SELECT id FROM api_runs WHERE eval_id = ?", (eval_id,))
            ]
            for run_id in runs:
                conn.execute("DELETE FROM api_output_items WHERE run_id = ?", (run_id,))
            conn.execute("DELETE FROM api_runs WHERE eval_id = ?", (eval_id,))
            return conn.execute("DELETE FROM api_evals WHERE id = ?", (eval_id,)).rowcount == 1

    def put_run(self, obj: dict[str, Any]) -> None:
        """Insert a run object, or replace it in place (its place in lists by creation stays)."""
        with self._db.write("write the API's objects") as conn:
            conn.execute(
                "INSERT INTO api_runs (id, eval_id, status, created_at, object_json) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
                "status = excluded.status, object_json = excluded.object_json",
                (obj["id"], obj["eval_id"], obj["status"], obj["created_at"], json.dumps(obj)),
            )

    def get_run(self, run_id: str) -> dict[str, Any] | None:
        """The run object, or None."""
        row = self._one("SELECT object_json FROM api_runs WHERE id = ?", (run_id,))
        return None if row is None else dict(json.loads(row[0]))

    def delete_run(self, run_id: str) -> bool:
        """Delete a run and its output items; False when there was none."""
        with self._db.write("write the API's objects") as conn:
            conn.execute("DELETE FROM api_output_items WHERE run_id = ?", (run_id,))
            return conn.execute("DELETE FROM api_runs WHERE id = ?", (run_id,)).rowcount == 1

    def unfinished_runs(self) -> list[str]:
        """Runs left ``queued`` or ``in_progress`` (by a restart), oldest first."""
        with self._db.read("list the unfinished runs") as conn:
            rows = conn.execute(
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
        order_by: OrderBy = "created_at",
    ) -> Page:
        """A page of evals or runs (of ``eval_id``), in creation order, after the id ``after``.

        Evals can be listed by the time they last changed (``order_by="updated_at"``).

        Raises:
            LookupError: ``after`` names no object of the list.
        """
        table = _KINDS[kind]
        where, params = ["1 = 1"], []
        if eval_id is not None:
            where.append("eval_id = ?")
            params.append(eval_id)
        if status is not None:
            where.append("status = ?")
            params.append(status)
        keys = ("updated_at", "rowid") if order_by == "updated_at" else ("rowid",)
        return self._page(table, keys, where, params, after, limit, order, kind.removesuffix("s"))

    # output items

    def write_output_items(
        self, run_id: str, items: Sequence[tuple[dict[str, Any], ItemOutcome]]
    ) -> int:
        """Store output items with their items of tutorloop's run ``run_id``, in ONE transaction.

        Each pair is an output item (the done-mark of its data-source item) and the outcome
        tutorloop's report reads for it. An output item already stored is skipped with its
        outcome; nothing is stored when the API run was deleted meanwhile. Returns how many
        output items are new.

        Raises:
            StoreError: tutorloop's run ``run_id`` does not exist (nothing is stored).
        """
        with self._db.write("write output items") as conn:
            if conn.execute("SELECT 1 FROM api_runs WHERE id = ?", (run_id,)).fetchone() is None:
                return 0
            new: list[ItemOutcome] = []
            for obj, outcome in items:
                if _insert_output_item(conn, run_id, obj):
                    new.append(outcome)
            if insert_outcomes(conn, run_id, new) is None:
                raise StoreError(
                    f"no tutorloop run {run_id!r} for the output items of API run {run_id!r}; "
                    "start the run in the store before writing its items"
                )
        return len(new)

    def has_output_item(self, run_id: str, index: int) -> bool:
        """Whether data-source item ``index`` of the run has its output item (it is done)."""
        found = self._one(
            "SELECT 1 FROM api_output_items WHERE run_id = ? AND datasource_item_id = ?",
            (run_id, index),
        )
        return found is not None

    def done_items(self, run_id: str) -> set[int]:
        """``datasource_item_id`` of the run's stored output items."""
        with self._db.read("read the output items") as conn:
            rows = conn.execute(
                "SELECT datasource_item_id FROM api_output_items WHERE run_id = ?", (run_id,)
            ).fetchall()
        return {row[0] for row in rows}

    def iter_output_items(self, run_id: str, batch_size: int = 1000) -> Iterator[dict[str, Any]]:
        """Every output item of the run, in data-source order, streamed."""
        return self._db.stream(
            "read the output items",
            "SELECT object_json FROM api_output_items WHERE run_id = ? ORDER BY datasource_item_id",
            (run_id,),
            batch_size,
            _object,
        )

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
        """A page of the run's output items (``status`` ``pass``/``fail`` filters).

        Raises:
            LookupError: ``after`` names no output item of the run.
        """
        where, params = ["run_id = ?"], [run_id]
        if status is not None:
            where.append("status = ?")
            params.append(status)
        return self._page(
            "api_output_items", ("datasource_item_id",), where, params, after, limit, order,
            "output item",
        )  # fmt: skip

    def _page(
        self,
        table: str,
        keys: tuple[str, ...],
        where: list[str],
        params: list[Any],
        after: str | None,
        limit: int,
        order: Order,
        what: str,
    ) -> Page:
        clauses, values = list(where), list(params)
        columns = ", ".join(keys)
        if after:
            found = self._one(f"SELECT {columns} FROM {table} WHERE id = ?", (after,))
            if found is None:
                raise LookupError(_UNKNOWN_AFTER.format(what, after))
            marks = ", ".join("?" for _ in keys)
            clauses.append(f"({columns}) {'>' if order == 'asc' else '<'} ({marks})")
            values.extend(found)
        direction = "ASC" if order == "asc" else "DESC"
        ordering = ", ".join(f"{key} {direction}" for key in keys)
        sql = (
            f"SELECT object_json FROM {table} WHERE {' AND '.join(clauses)} "
            f"ORDER BY {ordering} LIMIT ?"
        )
        with self._db.read("read a page of the API's objects") as conn:
            rows = conn.execute(sql, (*values, limit + 1)).fetchall()
        objects = [_object(row) for row in rows[:limit]]
        return objects, len(rows) > limit


def _object(row: Any) -> dict[str, Any]:
    return dict(json.loads(row[0]))


def _insert_output_item(conn: sqlite3.Connection, run_id: str, obj: dict[str, Any]) -> bool:
    if obj["run_id"] != run_id:
        raise StoreError(
            f"output item {obj['id']!r} belongs to run {obj['run_id']!r}, not {run_id!r}; "
            "write each run's output items with its own run id"
        )
    cursor = conn.execute(
        "INSERT OR IGNORE INTO api_output_items "
        "(id, run_id, datasource_item_id, status, object_json) VALUES (?, ?, ?, ?, ?)",
        (obj["id"], obj["run_id"], obj["datasource_item_id"], obj["status"], json.dumps(obj)),
    )
    return bool(cursor.rowcount == 1)
