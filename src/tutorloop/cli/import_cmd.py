"""``tutorloop import``: convert other tools' logs into one sessions JSONL file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from tutorloop.cli.common import JsonOpt, print_json, problem_json
from tutorloop.load import LOG_FORMATS, convert_logs
from tutorloop.present import render_problems


def register(app: typer.Typer, console: Console, err: Console) -> None:
    """Add ``import`` to ``app``."""

    @app.command("import")
    def import_logs(
        paths: Annotated[
            list[Path], typer.Argument(help="Log files or folders (formats may be mixed).")
        ],
        to: Annotated[Path, typer.Option("--to", help="The sessions JSONL file to write.")],
        fmt: Annotated[
            str | None,
            typer.Option(
                "--format",
                help=f"Read every file as this format instead of detecting it: "
                f"{', '.join(LOG_FORMATS)}.",
            ),
        ] = None,
        domain: Annotated[
            str, typer.Option("--domain", help="Domain of sessions whose log names none.")
        ] = "general",
        as_json: JsonOpt = False,
    ) -> None:
        """Convert logs (OpenAI chat/Responses, Langfuse, LangSmith, OTel, CSV) to sessions JSONL.

        Every file's format is detected from its first records (``--format`` forces one). Every
        session read is written to ``--to``; every bad record is listed with its file, line and
        field, and costs only its own session (exit 1 when there was any).
        """
        report = convert_logs(paths, to, fmt=fmt, domain=domain)
        if as_json:
            print_json(
                {
                    "out": str(report.out),
                    "sessions": report.written,
                    "formats": {
                        name: {"files": report.files[name], "sessions": report.sessions[name]}
                        for name in sorted(report.files)
                    },
                    "problems": [problem_json(p) for p in report.problems],
                    "skipped": [{"path": s.path, "reason": s.reason} for s in report.skipped],
                }
            )
        else:
            table = Table(title="Imported", title_justify="left")
            for column in ("format", "files", "sessions"):
                table.add_column(column, justify="left" if column == "format" else "right")
            for name in sorted(report.files):
                table.add_row(name, str(report.files[name]), str(report.sessions[name]))
            console.print(table)
            for skip in report.skipped:
                console.print(f"[dim]skipped {skip.path}: {skip.reason}[/]", highlight=False)
            if report.problems:
                render_problems(console, report.problems, f"{len(report.problems)} problem(s)")
            console.print(f"{report.written} session(s) written to {report.out}", highlight=False)
        if report.problems:
            raise typer.Exit(1)
