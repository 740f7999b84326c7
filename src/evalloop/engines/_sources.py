"""Inputs as a Ray Dataset of raw records, parsed on the workers by the local loader.

JSON/JSONL files are read line by line (one row per line, with its file and line number) and
Parquet files with ``ray.data.read_parquet`` (one row per session). Records are parsed on the
workers by :func:`evalloop.load.parse_record`, the loader of the local engine, so a session reads
the same on both engines and a bad line becomes a problem row instead of failing the read (Arrow's
JSON reader, behind ``read_json``, would fail a whole file on one bad line and fill missing nested
fields with nulls).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from ..errors import Problem, UserError
from ..load import Loaded, input_files, looks_like_eval_items, parse_record

PARQUET_SUFFIXES = (".parquet", ".pq")
_BLOCK_ROWS = 2000
_COLUMNS = ("path", "line", "text", "in_folder", "problem")


def input_schema() -> Any:
    """The Arrow schema of a raw input row."""
    import pyarrow as pa

    return pa.schema(
        [
            ("path", pa.string()),
            ("line", pa.int64()),
            ("text", pa.string()),
            ("in_folder", pa.bool_()),
            ("problem", pa.string()),
        ]
    )


def read_inputs(ray: ModuleType, paths: Sequence[str | Path]) -> tuple[Any, list[Problem]]:
    """The Dataset of raw records under ``paths``, and the problems found on the driver."""
    problems: list[Problem] = []
    lines: dict[str, tuple[str, bool]] = {}
    parquet: dict[str, str] = {}
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = list(input_files([path])) + sorted(
                p for p in path.rglob("*") if p.suffix in PARQUET_SUFFIXES and p.is_file()
            )
            if not found:
                problems.append(Problem(str(path), "folder holds no .json or .jsonl files"))
            for file in found:
                _add(file, True, lines, parquet)
        elif path.is_file():
            _add(path, False, lines, parquet)
        else:
            problems.append(Problem(str(path), "no such file or folder", hint="check the path"))
    datasets = []
    if lines:
        datasets.append(ray.data.read_datasource(_lines_datasource(list(lines), lines)))
    if parquet:
        table = ray.data.read_parquet(list(parquet), include_paths=True)
        datasets.append(table.map_batches(_ParquetRows(parquet), batch_format="pyarrow"))
    if not datasets:
        raise UserError("no input files to read: " + "; ".join(str(p) for p in problems))
    dataset = datasets[0] if len(datasets) == 1 else datasets[0].union(*datasets[1:])
    return dataset, problems


def _add(
    file: Path, in_folder: bool, lines: dict[str, tuple[str, bool]], parquet: dict[str, str]
) -> None:
    key = str(file.resolve())
    if file.suffix in PARQUET_SUFFIXES:
        parquet[key] = str(file)
        return
    if looks_like_eval_items(file):
        raise UserError(
            f"{file}: dataset items need --graders, which run on the local engine; "
            "drop --engine ray for this input"
        )
    lines[key] = (str(file), in_folder)


def parse_rows(batch: Any) -> Iterator[Loaded]:
    """Every item, skip or problem of a batch of raw rows, as the local loader reads them."""
    columns = [batch.column(name).to_pylist() for name in _COLUMNS]
    for path, line, text, in_folder, problem in zip(*columns, strict=True):
        if problem is not None:
            yield Problem(path, problem, line=line)
        elif text is not None:
            yield from parse_record(text, path, line=line, in_folder=bool(in_folder))


def _lines_datasource(files: list[str], names: dict[str, tuple[str, bool]]) -> Any:
    """A file-based datasource yielding one row per line (as Python's text mode splits them)."""
    import pyarrow as pa
    from ray.data.datasource import FileBasedDatasource

    schema = input_schema()

    class _LinesDatasource(FileBasedDatasource):  # type: ignore[misc]
        def _read_stream(self, f: Any, path: str) -> Iterator[Any]:
            name, in_folder = names.get(path, (path, False))
            rows: dict[str, list[Any]] = {c: [] for c in _COLUMNS}

            def add(line: int | None, text: str | None, problem: str | None = None) -> None:
                for column, value in zip(
                    _COLUMNS, (name, line, text, in_folder, problem), strict=True
                ):
                    rows[column].append(value)

            if not name.endswith((".jsonl", ".ndjson")):
                data = f.readall()
                try:
                    add(None, data.decode("utf-8"))
                except UnicodeDecodeError as exc:
                    add(None, None, f"cannot read the file: {exc}")
                yield pa.table(rows, schema=schema)
                return
            for lineno, raw in enumerate(iter_lines(f), start=1):
                try:
                    add(lineno, raw.decode("utf-8"))
                except UnicodeDecodeError as exc:
                    add(lineno, None, f"not UTF-8 text: {exc}")
                    break
                if len(rows["path"]) >= _BLOCK_ROWS:
                    yield pa.table(rows, schema=schema)
                    rows = {c: [] for c in _COLUMNS}
            if rows["path"]:
                yield pa.table(rows, schema=schema)

    return _LinesDatasource(files)


def iter_lines(stream: Any, chunk_bytes: int = 1 << 22) -> Iterator[bytes]:
    r"""The lines of a binary stream, read in chunks, split as Python's text mode splits them.

    ``\n``, ``\r\n`` and a lone ``\r`` each end a line (universal newlines), so line numbers
    match the local loader's; each line keeps a ``\n`` ending except an unterminated last one.
    """
    rest = b""
    while chunk := stream.read(chunk_bytes):
        parts = (rest + chunk).split(b"\n")
        rest = parts.pop()
        for part in parts:
            yield from _split_cr(part, ended=True)
    if rest:
        yield from _split_cr(rest, ended=False)


def _split_cr(part: bytes, *, ended: bool) -> Iterator[bytes]:
    if b"\r" not in part:
        yield part + b"\n" if ended else part
        return
    body = part[:-1] if ended and part.endswith(b"\r") else part
    pieces = body.split(b"\r")
    if not ended and pieces[-1] == b"":
        pieces.pop()
        ended = True
    for index, piece in enumerate(pieces):
        last = index == len(pieces) - 1
        yield piece if last and not ended else piece + b"\n"


class _ParquetRows:
    """Parquet sessions → raw rows (one JSON record each; null fields dropped)."""

    def __init__(self, names: dict[str, str]) -> None:
        self.names = names

    def __call__(self, batch: Any) -> Any:
        import pyarrow as pa

        records = batch.drop_columns(["path"]).to_pylist()
        paths = batch.column("path").to_pylist()
        rows: dict[str, list[Any]] = {c: [] for c in _COLUMNS}
        for path, record in zip(paths, records, strict=True):
            name = self.names.get(path, self.names.get(str(Path(path).resolve()), path))
            values = (name, None, json.dumps(_drop_nulls(record), ensure_ascii=False), False, None)
            for column, value in zip(_COLUMNS, values, strict=True):
                rows[column].append(value)
        return pa.table(rows, schema=input_schema())


def _drop_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value
