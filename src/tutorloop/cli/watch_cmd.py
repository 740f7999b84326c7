"""``tutorloop watch`` and ``monitor``: grade production sessions as they land; show drift."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from tutorloop.cli.common import JsonOpt, StoreOpt, print_json, problem_json
from tutorloop.errors import Problem
from tutorloop.load import Skipped

ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", help="A YAML file whose 'watch:' section configures watching."),
]


def register(app: typer.Typer, console: Console, err: Console) -> None:
    """Add ``watch`` and ``monitor`` to ``app``."""

    @app.command()
    def watch(
        folder: Annotated[Path, typer.Argument(help="The folder where sessions or logs land.")],
        config: ConfigOpt = None,
        once: Annotated[
            bool, typer.Option("--once", help="Grade what is there now, then exit (for cron).")
        ] = False,
        store: StoreOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Follow a folder and grade every session that lands there, with drift and alerts."""
        from tutorloop.run import load_watch_config, watch_folder

        settings = load_watch_config(config)

        def report_problem(entry: Problem | Skipped) -> None:
            if isinstance(entry, Problem):
                if as_json:
                    sys.stderr.write(json.dumps({"problem": problem_json(entry)}) + "\n")
                else:
                    err.print(f"[red]{escape(entry.location())}[/]: {escape(entry.message)}")
            else:
                err.print(f"[dim]skipped {escape(entry.path)}: {escape(entry.reason)}[/]")

        if not once:
            err.print(f"watching {folder} (Ctrl-C to stop)")
        report = watch_folder(
            folder, settings, store_path=store, once=once, on_problem=report_problem
        )
        if as_json:
            print_json(
                {
                    "graded": report.graded,
                    "already_graded": report.duplicates,
                    "sampled": report.sampled,
                    "problems": len(report.problems),
                    "runs": sorted(report.runs),
                }
            )
        else:
            console.print(
                f"graded {report.graded} session(s) into {len(report.runs)} run(s); "
                f"{report.duplicates} already graded, {report.sampled} queued for review, "
                f"{len(report.problems)} problem(s)"
            )

    @app.command()
    def monitor(
        config: ConfigOpt = None,
        store: StoreOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Print the watch windows, drift of each metric against the baseline, and the alerts."""
        from tutorloop.present import render_monitor
        from tutorloop.run import load_watch_config, monitor_snapshot
        from tutorloop.store import Store

        settings = load_watch_config(config)
        with Store.open(store) as opened:
            snapshot = monitor_snapshot(opened, settings)
        if as_json:
            print_json(snapshot.to_json())
        else:
            render_monitor(console, snapshot)
