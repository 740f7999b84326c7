"""Convert logs of any readable format into one tutorloop sessions JSONL file."""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from tutorloop.errors import Problem
from tutorloop.load.importers import DEFAULT_DOMAIN, check_format, detect_log_format
from tutorloop.load.items import Item, Skipped
from tutorloop.load.sessions import iter_files, load_file
from tutorloop.records import Session


@dataclass
class ConversionReport:
    """What :func:`convert_logs` read and wrote."""

    out: Path
    sessions: Counter[str] = field(default_factory=Counter)
    """Sessions written, per source format."""
    files: Counter[str] = field(default_factory=Counter)
    """Files read, per format."""
    problems: list[Problem] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def written(self) -> int:
        """How many sessions the output holds."""
        return sum(self.sessions.values())


def convert_logs(
    paths: Iterable[str | Path],
    out: str | Path,
    *,
    fmt: str | None = None,
    domain: str = DEFAULT_DOMAIN,
) -> ConversionReport:
    """Read every session of ``paths`` (formats detected per file unless ``fmt``) into ``out``.

    ``out`` is written as tutorloop sessions JSONL, one session per line, streamed, and
    replaced only when the whole input was read. A session id met twice is written once, and
    the second is a problem; a replay artifact is skipped (grade it as it is).
    """
    check_format(fmt)
    target = Path(out)
    report = ConversionReport(target)
    seen: dict[str, str] = {}
    partial = target.with_name(f".{target.name}.partial")
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with partial.open("w", encoding="utf-8") as sink:
            for file in iter_files(paths):
                if isinstance(file, Problem):
                    report.problems.append(file)
                    continue
                path, in_folder = file
                name = fmt or detect_log_format(path)
                report.files[name] += 1
                for loaded in load_file(path, in_folder=in_folder, fmt=name, domain=domain):
                    if isinstance(loaded, Problem):
                        report.problems.append(loaded)
                    elif isinstance(loaded, Skipped):
                        report.skipped.append(loaded)
                    elif isinstance(loaded.record, Session):
                        _write(loaded, name, sink, seen, report)
                    else:
                        report.skipped.append(
                            Skipped(
                                loaded.origin, "a replay artifact, not a session: grade it as it is"
                            )
                        )
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return report


def _write(
    item: Item, name: str, sink: TextIO, seen: dict[str, str], report: ConversionReport
) -> None:
    first = seen.setdefault(item.session_id, item.origin)
    if first != item.origin:
        report.problems.append(
            Problem(
                item.origin,
                f"duplicate session '{item.session_id}' (first seen in {first}); not written",
                field="session_id",
                hint="session ids must be unique; rename one in its log",
            )
        )
        return
    record = item.record.model_dump(mode="json", exclude_none=True)
    sink.write(json.dumps(record, ensure_ascii=False) + "\n")
    report.sessions[name] += 1
