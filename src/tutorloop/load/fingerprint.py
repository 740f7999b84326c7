"""Cheap facts about inputs before loading them: a content hash and a record count."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from pathlib import Path

SESSION_SUFFIXES = (".json", ".jsonl", ".ndjson", ".csv", ".tsv")
"""Suffixes of the files a folder's sessions are read from (CSV holds one turn per row)."""


def input_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Every session file under ``paths``, in the order the loader reads them."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from sorted(
                p
                for p in path.rglob("*")
                if p.suffix in SESSION_SUFFIXES
                and p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
        elif path.is_file():
            yield path


def inputs_sha256(paths: Iterable[str | Path]) -> str:
    """sha256 over the bytes of every input file, in load order (streamed)."""
    digest = hashlib.sha256()
    for file in input_files(paths):
        digest.update(file.name.encode("utf-8") + b"\0")
        with file.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
    return digest.hexdigest()


def estimate_records(paths: Iterable[str | Path]) -> int:
    """How many records the inputs hold: one per JSON file, one per non-empty JSONL or CSV line."""
    total = 0
    for file in input_files(paths):
        if file.suffix == ".json":
            total += 1
            continue
        with file.open("rb") as handle:
            count = sum(1 for line in handle if line.strip())
        if file.suffix in (".csv", ".tsv"):
            count = max(count - 1, 0)  # the header (rows are turns: an upper bound on sessions)
        total += count
    return total
