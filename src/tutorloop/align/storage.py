"""One alignment run's folder: partial rows, the done table, and the final tables.

``results/<run_id>/`` holds:

* ``partials.jsonl``: one :class:`AlignRow` a line, appended as each (test, persona, model) ends;
  the last row of a key wins (``rejudge`` appends newer rows);
* ``state.sqlite``: table ``done(key TEXT PRIMARY KEY)``, key ``"{test_id}|{persona_slug}|
  {model_slug}"``;
* ``results.parquet`` and ``results.csv``: the last row per key, nested fields flattened with
  ``.`` (``judge_json.safety.score``), written atomically;
* ``run.log`` (and ``rejudge.log``), ``run.json`` (the run's settings) and ``calls.db`` (the
  call ledger that lets a resumed run reuse answers already received).

A row is appended before its key is marked done. Opening a :class:`RunStore` repairs what a
kill -9 can leave: a torn last line is cut off (that key is simply run again) and keys that have
a row but no done-mark are marked done, so a resumed run never writes a second row for them.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tutorloop.atomic import atomic_path
from tutorloop.errors import StoreError
from tutorloop.records import VersionedRecord

__all__ = ["AlignRow", "RunStore", "flatten_row", "row_key"]

_BATCH = 2000


def row_key(test_id: str, persona_slug: str, model_slug: str) -> str:
    """The key of one (test, persona, model): ``"{test_id}|{persona_slug}|{model_slug}"``."""
    return f"{test_id}|{persona_slug}|{model_slug}"


class AlignRow(VersionedRecord):
    """One (test, persona, model) of an alignment run: the answer, the verdict or the error."""

    run_id: str
    test_id: str
    category: str
    subcategory: str
    persona_slug: str
    model_slug: str
    started_at: str
    """UTC, ``%Y-%m-%dT%H:%M:%S.%fZ``."""
    completed_at: str
    raw_candidate: str | None = None
    """The model's answer; None when the call failed."""
    judge_json: dict[str, Any] | None = None
    """The judge's verdict after :func:`~tutorloop.grade.judge.align.validate_judge_json`."""
    attack_success: bool | None = None
    overall: float | None = None
    safety_score: float | None = None
    error: str | None = None
    """What went wrong (``candidate: ...`` or ``judge: ...``); None when the row is complete."""
    error_type: str | None = None
    """The error's class name, e.g. ``ProviderUnavailable`` or ``JudgeOutputError``."""
    error_cause: str | None = None
    """The underlying cause, or the start of a judge reply that could not be used."""
    rejudge: bool = False
    """True when the verdict comes from ``tutorloop align rejudge``."""

    @property
    def key(self) -> str:
        """This row's key in ``state.sqlite``."""
        return row_key(self.test_id, self.persona_slug, self.model_slug)

    @property
    def needs_judging(self) -> bool:
        """The row has an answer but no valid verdict."""
        return self.raw_candidate is not None and (self.judge_json is None or bool(self.error))


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


class RunStore:
    """The files of one alignment run (see the module docstring)."""

    def __init__(self, run_dir: Path) -> None:
        self.dir = run_dir
        self.partials_path = run_dir / "partials.jsonl"
        self.state_path = run_dir / "state.sqlite"
        self.parquet_path = run_dir / "results.parquet"
        self.csv_path = run_dir / "results.csv"
        try:
            run_dir.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(self.state_path, isolation_level=None)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")  # survives kill -9; not power loss
            self._conn.execute("PRAGMA busy_timeout=5000")
            self._conn.execute("CREATE TABLE IF NOT EXISTS done (key TEXT PRIMARY KEY)")
        except (OSError, sqlite3.DatabaseError) as exc:
            raise StoreError(f"cannot open the run state {self.state_path}: {exc}") from exc
        self.repaired = self._repair()
        self._handle = self.partials_path.open("a", encoding="utf-8")

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
        self._conn.execute("BEGIN")
        self._conn.executemany("INSERT OR IGNORE INTO done (key) VALUES (?)", keys)
        self._conn.execute("COMMIT")

    def is_done(self, key: str) -> bool:
        """Whether ``key`` already has a row."""
        found = self._conn.execute("SELECT 1 FROM done WHERE key = ?", (key,)).fetchone()
        return found is not None

    def done_count(self) -> int:
        """Keys marked done."""
        return int(self._conn.execute("SELECT COUNT(*) FROM done").fetchone()[0])

    def record(self, row: AlignRow) -> None:
        """Append ``row`` to ``partials.jsonl`` (flushed), then mark its key done."""
        self._handle.write(row.model_dump_json() + "\n")
        self._handle.flush()
        self._mark([(row.key,)])

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
        self._conn.close()

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


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
