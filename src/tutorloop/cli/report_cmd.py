"""``tutorloop report``: a run as one self-contained HTML file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from tutorloop.cli.project_options import project_config
from tutorloop.present import ReportOptions, write_report


def register(app: typer.Typer, console: Console, err: Console) -> None:
    """Add ``report`` to ``app``."""

    @app.command()
    def report(
        ctx: typer.Context,
        run_id: Annotated[str, typer.Argument(help="A graded run.")],
        out: Annotated[
            Path | None,
            typer.Option("--out", "-o", help="The HTML file to write [default: report.html]."),
        ] = None,
        compare: Annotated[
            str | None,
            typer.Option(
                "--compare",
                help="Another run to compare with on shared sessions (side A; this run is B).",
            ),
        ] = None,
        policy: Annotated[
            Path | None,
            typer.Option("--policy", help="Gate policy YAML (default: the config's, or bundled)."),
        ] = None,
        max_sessions: Annotated[
            int,
            typer.Option(
                "--max-sessions", min=0, help="Escalated sessions to show, most severe first."
            ),
        ] = 500,
        labels: Annotated[
            Path | None,
            typer.Option("--labels", help="Human labels: add agreement and cost sections."),
        ] = None,
        store: Annotated[Path | None, typer.Option("--store", help="SQLite store file.")] = None,
    ) -> None:
        """Write an HTML report: gates, check rates, charts, A/B deltas and the review queue."""
        project = project_config(ctx, {"paths.store": store, "paths.report": out})
        options = ReportOptions(
            store_path=project.paths.store,
            compare=compare,
            policy_path=policy,
            max_sessions=max_sessions,
            labels_path=labels,
            policy=project.policy if policy is None else None,
        )
        written = write_report(run_id, project.paths.report or Path("report.html"), options)
        console.print(str(written), highlight=False, soft_wrap=True)
