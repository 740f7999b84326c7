"""``tutorloop report``: a run as one self-contained HTML file."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from tutorloop.cli.project_options import project_config
from tutorloop.errors import ConfigError
from tutorloop.present import ReportOptions, write_report


def _moment(text: str | None, option: str) -> float | None:
    """An ISO 8601 time (UTC unless it says) as epoch seconds."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(f"not an ISO 8601 time: {text!r}", field=option) from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


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
        since: Annotated[
            str | None,
            typer.Option("--since", help="Add the watched sessions' trend from this time (ISO)."),
        ] = None,
        until: Annotated[
            str | None, typer.Option("--until", help="End of the trend's range (ISO).")
        ] = None,
    ) -> None:
        """Write an HTML report: gates, check rates, charts, A/B deltas and the review queue."""
        project = project_config(ctx, {"paths.store": store, "paths.report": out})
        options = ReportOptions(
            store_path=project.paths.store,
            compare=compare,
            policy_path=policy,
            max_sessions=max_sessions,
            labels_path=labels,
            trend_since=_moment(since, "--since"),
            trend_until=_moment(until, "--until"),
            policy=project.policy if policy is None else None,
        )
        written = write_report(run_id, project.paths.report or Path("report.html"), options)
        console.print(str(written), highlight=False, soft_wrap=True)
