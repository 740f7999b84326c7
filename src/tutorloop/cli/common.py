"""What the commands share: the consoles, JSON output, the ``--store`` and ``--json`` options."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from tutorloop.errors import Problem

# Outside a terminal (a pipe, a CI log) use a wide page so ids and paths stay on one line.
console = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 160)

StoreOpt = Annotated[
    Path | None,
    typer.Option("--store", help="SQLite store file (default: $TUTORLOOP_HOME or ./.tutorloop/)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON instead.")]


def _known_format(value: str | None) -> str | None:
    """``value`` when it names a log format the loader reads (None: detect each file's)."""
    if value is None:
        return None
    from tutorloop.errors import ConfigError
    from tutorloop.load.importers import check_format

    try:
        check_format(value)
    except ConfigError as exc:
        raise typer.BadParameter(exc.message.removeprefix(f"field '{exc.field}': ")) from None
    return value


LogFormatOpt = Annotated[
    str | None,
    typer.Option(
        "--format",
        help="Read every file as this log format (openai-chat, langfuse, otel, csv, ...; "
        "else detected per file).",
        callback=_known_format,
    ),
]


def print_json(data: Any) -> None:
    """Write ``data`` to stdout as indented JSON (non-ASCII kept)."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def problem_json(problem: Problem) -> dict[str, Any]:
    """One input problem as JSON: where (path, line, turn, field), what, and what to do."""
    return {
        "path": problem.path,
        "line": problem.line,
        "turn": problem.turn,
        "field": problem.field,
        "message": problem.message,
        "hint": problem.hint,
    }
