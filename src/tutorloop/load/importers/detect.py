"""Which format a file is in, from its name and its first records.

A ``.csv``/``.tsv`` file is CSV turns. A JSON or JSONL file is tutorloop's own when its first
records are sessions or replay artifacts (a ``.json`` file whose first 64 KiB hold a
``"trajectory":`` key is taken as one without parsing it twice), else the format of the first
importer that recognises one of its first five readable records; a file nothing recognises is
left to the session loader, which says what is wrong with it. Detection is per file: a JSONL file
mixing formats is read as its first records' format, and each record of another format is a
problem.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tutorloop.load.importers.base import sample_records
from tutorloop.load.importers.registry import IMPORTERS, NATIVE

_PEEK_BYTES = 64 << 10
_NATIVE_KEYS = ("trajectory", "regenerated_trajectory")
_NATIVE_KEY = re.compile(rb'"(?:regenerated_)?trajectory"\s*:')


def detect_log_format(path: str | Path) -> str:
    """The format name of the file ``path`` (:data:`NATIVE` when no importer recognises it)."""
    path = Path(path)
    for importer in IMPORTERS:
        if path.suffix.lower() in importer.suffixes and ".json" not in importer.suffixes:
            return importer.name
    if path.suffix == ".json" and _names_a_trajectory(path):
        return NATIVE
    for data in sample_records(path):
        if is_native(data):
            return NATIVE
        for importer in IMPORTERS:
            if importer.sniff(data):
                return importer.name
    return NATIVE


def is_native(data: Any) -> bool:
    """Whether a record is a tutorloop session or replay artifact (or an item to grade)."""
    return isinstance(data, dict) and (any(k in data for k in _NATIVE_KEYS) or "item" in data)


def _names_a_trajectory(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            head = handle.read(_PEEK_BYTES)
    except OSError:
        return True  # the session loader reports it
    return _NATIVE_KEY.search(head) is not None
