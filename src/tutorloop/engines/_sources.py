"""Inputs as a Ray Dataset of raw records, parsed on the workers by the local loader.

JSON/JSONL files are read line by line (one row per line, with its file and line number) and
Parquet files with ``ray.data.read_parquet`` (one row per session). Records are parsed on the
workers by :func:`tutorloop.load.parse_record`, the loader of the local engine, so a session reads
the same on both engines and a bad line becomes a problem row instead of failing the read (Arrow's
JSON reader, behind ``read_json``, would fail a whole file on one bad line and fill missing nested
fields with nulls).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from tutorloop.errors import Problem, UserError
from tutorloop.load import (
    Loaded,
    decode_line,
    detect_log_format,
    input_files,
    looks_like_eval_items,
    parse_record,
    read_text,
)

PARQUET_SUFFIXES = (".parquet", ".pq")
_BLOCK_ROWS = 2000
CHUNK_BYTES = 8 * 1024 * 1024
"""Bytes of a JSONL file one read task reads."""
_BOM = b"\xef\xbb\xbf"
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
        chunks = _line_chunks(lines, CHUNK_BYTES)
        ranges = ray.data.from_items(chunks, override_num_blocks=len(chunks))
        datasets.append(ranges.map_batches(read_chunks, batch_size=None, batch_format="pyarrow"))
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
    fmt = detect_log_format(file)
    if fmt != "tutorloop":
        raise UserError(
            f"{file}: a {fmt} log; the Ray engine reads tutorloop sessions: convert the logs "
            "first with 'tutorloop import LOGS --to sessions.jsonl', or drop --engine ray"
        )
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


def _line_chunks(files: dict[str, tuple[str, bool]], chunk_bytes: int) -> list[dict[str, Any]]:
    """Each file cut into byte ranges ending at a newline, with the number of its first line.

    Reading a shard as many short tasks keeps Ray Data's memory accounting honest: a single task
    per shard is expected to hold the whole shard, and a large shard exhausts the object store
    budget (Ray then spills, and the actors starve while its scheduler spins). A line that
    cannot be read costs that line only, as in the local loader.
    """
    chunks: list[dict[str, Any]] = []
    for key, (name, in_folder) in files.items():
        base = {"key": key, "name": name, "in_folder": in_folder}
        if not name.endswith((".jsonl", ".ndjson")):
            chunks.append({**base, "offset": 0, "length": -1, "first_line": 0})
            continue
        offset, first_line, rest = 0, 1, b""
        with open(key, "rb") as stream:
            while True:
                chunk = stream.read(chunk_bytes)
                data = rest + chunk
                cut = data.rfind(b"\n") + 1 if chunk else len(data)
                if cut == 0 and chunk:
                    rest = data
                    continue
                part, rest = data[:cut], data[cut:]
                if part:
                    chunks.append({**base, "offset": offset, "length": len(part),
                                   "first_line": first_line})  # fmt: skip
                    offset += len(part)
                    first_line += _count_lines(part)
                if not chunk:
                    break
    return chunks


def _count_lines(part: bytes) -> int:
    if b"\r" in part:
        return sum(1 for _ in iter_lines(io.BytesIO(part)))
    return part.count(b"\n") + (0 if part.endswith(b"\n") else 1)


def read_chunks(batch: Any) -> Iterator[Any]:
    """Raw rows of a batch of byte ranges (see :func:`_line_chunks`), one row per line."""
    for chunk in batch.to_pylist():
        yield from _chunk_tables(chunk)


def _chunk_tables(chunk: dict[str, Any]) -> Iterator[Any]:
    import pyarrow as pa

    schema = input_schema()
    rows: dict[str, list[Any]] = {c: [] for c in _COLUMNS}
    name, in_folder = chunk["name"], chunk["in_folder"]

    def add(line: int | None, text: str | None, problem: str | None = None) -> None:
        for column, value in zip(_COLUMNS, (name, line, text, in_folder, problem), strict=True):
            rows[column].append(value)

    with open(chunk["key"], "rb") as stream:
        stream.seek(chunk["offset"])
        data = stream.read(chunk["length"])
    if chunk["first_line"] == 0:
        text = read_text(chunk["key"])
        if isinstance(text, Problem):
            add(text.line, None, text.message)
        else:
            add(None, text)
        yield pa.table(rows, schema=schema)
        return
    for lineno, raw in enumerate(iter_lines(io.BytesIO(data)), start=chunk["first_line"]):
        if lineno == 1:
            raw = raw.removeprefix(_BOM)
        line = decode_line(raw.rstrip(b"\n"), name, lineno)
        if isinstance(line, Problem):
            add(lineno, None, line.message)
        else:
            add(lineno, line.text)
        if len(rows["path"]) >= _BLOCK_ROWS:
            yield pa.table(rows, schema=schema)
            rows = {c: [] for c in _COLUMNS}
    if rows["path"]:
        yield pa.table(rows, schema=schema)


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
