"""One alignment run's folder: partial rows, the done table, and the final tables.

``results/<run_id>/`` holds, exactly as the alignment benchmark runner writes them:

* ``partials.jsonl``: one :class:`~tutorloop.records.AlignRow` a line, appended as each
  (test, persona, model) ends; the last row of a key wins (``rejudge`` appends newer rows);
* ``state.sqlite``: table ``done(key TEXT PRIMARY KEY)``, key ``"{test_id}|{persona_slug}|
  {model_slug}"``;
* ``results.parquet`` and ``results.csv``: the last row per key, nested fields flattened with
  ``.`` (``judge_json.safety.score``), written atomically;
* ``run.log`` (and ``rejudge.log``), ``run.json`` (the run's settings) and ``calls.db`` (the
  call ledger that lets a resumed run reuse answers already received).

Rows are appended before their keys are marked done. Opening an :class:`AlignStore` repairs
what a kill -9 can leave: a torn last line is cut off (that key is simply run again) and keys
that have a row but no done-mark are marked done, so a resumed run never writes a second row
for them.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from tutorloop.atomic import atomic_path
from tutorloop.errors import StoreError
from tutorloop.records import AlignRow
from tutorloop.store._sqlite import Database

__all__ = ["AlignStore", "flatten_row"]

_BATCH = 2000


def flatten_row(row: AlignRow) -> dict[str, Any]:
    """The row as one flat dict: nested objects joined with ``.``, lists as JSON text."""
    data = row.model_dump(mode="json")
    version = data.pop("schema_version")
    flat: dict[str, Any] = {}
    _flatten("", data, flat)
    flat["schema_version"] = version
    return flat


def _flatten(prefix: str, value: dict[str, Any], out: dict[str, Any]) -> None:
    for key, item in value.items():
        name = f"{prefix}{key}"
        if isinstance(item, dict) and item:
            _flatten(f"{name}.", item, out)
        elif isinstance(item, dict):
            out[name] = None
        elif isinstance(item, list):
            out[name] = json.dumps(item, ensure_ascii=False)
        else:
            out[name] = item


class AlignStore:
    """The files of one alignment run (see the module docstring); close it when done."""

    def __init__(self, run_dir: Path) -> None:
        self.dir = run_dir
        self.partials_path = run_dir / "partials.jsonl"
        self.state_path = run_dir / "state.sqlite"
        self.parquet_path = run_dir / "results.parquet"
        self.csv_path = run_dir / "results.csv"
        self._db = _open_state(self.state_path)
        try:
            self.repaired = self._repair()
            self._handle = self.partials_path.open("a", encoding="utf-8")
        except BaseException:
            self._db.close()
            raise

    def _repair(self) -> int:
        """Cut a torn last line; mark done every key that has a row. Returns keys newly marked."""
        if not self.partials_path.exists():
            return 0
        _cut_torn_tail(self.partials_path)
        before = self.done_count()
        batch: list[tuple[str]] = []
        for row in self._iter_partials():
            batch.append((row.key,))
            if len(batch) >= _BATCH:
                self._mark(batch)
                batch = []
        self._mark(batch)
        return self.done_count() - before

    def _mark(self, keys: list[tuple[str]]) -> None:
        if not keys:
            return
        with self._db.write("mark keys done") as conn:
            conn.executemany("INSERT OR IGNORE INTO done (key) VALUES (?)", keys)

    def is_done(self, key: str) -> bool:
        """Whether ``key`` already has a row."""
        with self._db.read("read the done keys") as conn:
            found = conn.execute("SELECT 1 FROM done WHERE key = ?", (key,)).fetchone()
        return found is not None

    def done_count(self) -> int:
        """Keys marked done."""
        with self._db.read("count the done keys") as conn:
            return int(conn.execute("SELECT COUNT(*) FROM done").fetchone()[0])

    def record(self, row: AlignRow) -> None:
        """Append ``row`` to ``partials.jsonl`` (flushed), then mark its key done."""
        self.record_many([row])

    def record_many(self, rows: Sequence[AlignRow]) -> None:
        """Append ``rows`` to ``partials.jsonl`` (flushed), then mark their keys done at once.

        The order is the seed's: a kill between the two leaves rows without their done-marks,
        which the next open marks (:attr:`repaired`), so no key is ever written twice.
        """
        if not rows:
            return
        with self._db.lock:
            self._handle.write("".join(row.model_dump_json() + "\n" for row in rows))
            self._handle.flush()
            self._mark([(row.key,) for row in rows])

    def _iter_partials(self) -> Iterator[AlignRow]:
        if not self.partials_path.exists():
            return
        with self.partials_path.open("r", encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    yield AlignRow.model_validate_json(line)
                except ValueError as exc:
                    raise StoreError(
                        f"{self.partials_path}:{number}: not a result row ({exc}); "
                        "remove the line and run salvage again"
                    ) from exc

    def iter_rows(self) -> Iterator[AlignRow]:
        """The last row of every key, in the order the keys were first written.

        Two passes over ``partials.jsonl``: memory holds one index per key, not the rows.
        """
        last: dict[str, int] = {}
        for index, row in enumerate(self._iter_partials()):
            last[row.key] = index
        for index, row in enumerate(self._iter_partials()):
            if last[row.key] == index:
                yield row

    def write_finals(self) -> dict[str, Path]:
        """Write ``results.parquet`` and ``results.csv`` (last row per key), atomically."""
        import pyarrow as pa
        import pyarrow.csv as pa_csv
        import pyarrow.parquet as pq

        kinds: dict[str, set[str]] = {}
        for row in self.iter_rows():
            for name, value in flatten_row(row).items():
                seen = kinds.setdefault(name, set())
                if value is not None:
                    seen.add(_kind(value))
        if not kinds:
            kinds = {name: set() for name in flatten_row(_EMPTY)}
        schema = pa.schema([(name, _arrow_type(pa, seen)) for name, seen in kinds.items()])
        with (
            atomic_path(self.parquet_path) as parquet_tmp,
            atomic_path(self.csv_path) as csv_tmp,
            pq.ParquetWriter(str(parquet_tmp), schema) as parquet,
            pa_csv.CSVWriter(str(csv_tmp), schema) as csv,
        ):
            batch: list[dict[str, Any]] = []
            for row in self.iter_rows():
                batch.append(flatten_row(row))
                if len(batch) >= _BATCH:
                    _write(pa, schema, batch, (parquet, csv))
                    batch = []
            _write(pa, schema, batch, (parquet, csv))
        return {"parquet": self.parquet_path, "csv": self.csv_path}

    def close(self) -> None:
        """Close the files."""
        self._handle.close()
        self._db.close()

    def __enter__(self) -> AlignStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _open_state(path: Path) -> Database:
    """``state.sqlite`` with its one table, ``done(key TEXT PRIMARY KEY)``."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, isolation_level=None, timeout=5.0, check_same_thread=False)
    except (OSError, sqlite3.Error) as exc:
        raise StoreError(f"cannot open the run state {path}: {exc}") from exc
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")  # survives kill -9; not power loss
        conn.execute("PRAGMA busy_timeout=5000")
        conn.execute("CREATE TABLE IF NOT EXISTS done (key TEXT PRIMARY KEY)")
    except sqlite3.Error as exc:
        conn.close()
        raise StoreError(
            f"cannot open the run state {path}: {exc}; move it aside and run salvage, "
            "then resume with the same run id"
        ) from exc
    return Database(conn, path)


def _cut_torn_tail(path: Path) -> None:
    """Truncate ``path`` after its last newline (a line cut short by a kill), reading backwards."""
    with path.open("rb+") as handle:
        end = handle.seek(0, 2)
        if not end:
            return
        handle.seek(end - 1)
        if handle.read(1) == b"\n":
            return
        position = end
        while position > 0:
            step = min(65_536, position)
            position -= step
            handle.seek(position)
            newline = handle.read(step).rfind(b"\n")
            if newline >= 0:
                handle.truncate(position + newline + 1)
                return
        handle.truncate(0)


_EMPTY = AlignRow(
    run_id="", test_id="", category="", subcategory="", persona_slug="", model_slug="",
    started_at="", completed_at="",
)  # fmt: skip


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return "string"


def _arrow_type(pa: Any, kinds: set[str]) -> Any:
    if kinds == {"bool"}:
        return pa.bool_()
    if kinds == {"number"}:
        return pa.float64()
    if kinds == {"bool", "number"}:
        return pa.float64()
    return pa.string()


def _cell(value: Any, arrow_type: Any, pa: Any) -> Any:
    if value is None:
        return None
    if arrow_type == pa.float64():
        return float(value)
    if arrow_type == pa.string() and not isinstance(value, str):
        return json.dumps(value)
    return value


def _write(pa: Any, schema: Any, rows: list[dict[str, Any]], writers: tuple[Any, ...]) -> None:
    columns = {
        field.name: [_cell(row.get(field.name), field.type, pa) for row in rows] for field in schema
    }
    table = pa.Table.from_pydict(columns, schema=schema)
    for writer in writers:
        writer.write_table(table)
