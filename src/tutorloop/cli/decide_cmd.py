"""``tutorloop gate`` and ``tutorloop compare``: release decisions and A/B comparisons."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, cast

import typer
from rich.console import Console

from tutorloop.bundled import bundled_policy
from tutorloop.errors import ConfigError
from tutorloop.present import render_comparison, render_gates
from tutorloop.pulse import (
    RunMode,
    compare_conditions,
    compare_runs,
    gate_run,
    load_policy,
    parse_conditions,
)

RUN_MODES = ("demo", "core", "prod")


def register(app: typer.Typer, console: Console, err: Console) -> None:
    """Add ``gate`` and ``compare`` to ``app``."""

    @app.command()
    def gate(
        run_id: Annotated[str, typer.Argument(help="A graded run.")],
        policy: Annotated[
            Path | None, typer.Option("--policy", help="Gate policy YAML (default: bundled).")
        ] = None,
        status_json: Annotated[
            Path | None, typer.Option("--status-json", help="PULSE status.json to write/patch.")
        ] = None,
        run_mode: Annotated[str, typer.Option("--run-mode", help="demo, core or prod.")] = "core",
        fail_on_false: Annotated[
            bool, typer.Option("--fail-on-false", help="Exit 1 when a required gate is false.")
        ] = False,
        store: Annotated[Path | None, typer.Option("--store", help="SQLite store file.")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    ) -> None:
        """Evaluate release gates on a run and write them to a PULSE status.json."""
        if run_mode not in RUN_MODES:
            raise ConfigError(f"choose one of {', '.join(RUN_MODES)}", field="--run-mode")
        outcome = gate_run(
            run_id,
            load_policy(policy or bundled_policy()),
            store_path=store,
            status_json=status_json,
            run_mode=cast(RunMode, run_mode),
        )
        if as_json:
            data = {
                "run_id": outcome.run_id,
                "run_status": outcome.run_status,
                "gates": outcome.report.gates,
                "rows": [row.model_dump() for row in outcome.report.rows],
                "metrics": outcome.metrics,
                "status_json": str(outcome.status_path) if outcome.status_path else None,
            }
            sys.stdout.write(json.dumps(data, indent=2) + "\n")
        else:
            render_gates(console, outcome.report)
            if outcome.comparison is not None:
                render_comparison(console, outcome.comparison, max_rows=5)
            if outcome.status_path:
                console.print(f"[bold]status.json[/] {outcome.status_path}")
        if fail_on_false and not outcome.report.required_pass:
            raise typer.Exit(1)

    @app.command()
    def compare(
        run_a: Annotated[
            str, typer.Argument(help="Run A (or the run whose conditions to compare).")
        ],
        run_b: Annotated[str | None, typer.Argument(help="Run B.")] = None,
        conditions: Annotated[
            str | None,
            typer.Option(
                "--conditions", help="Compare two conditions of run A, e.g. base,overlay."
            ),
        ] = None,
        store: Annotated[Path | None, typer.Option("--store", help="SQLite store file.")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    ) -> None:
        """Compare two runs, or two conditions of one run, on the same sessions."""
        if run_b is None and conditions is None:
            conditions = "base,overlay"
        if run_b is not None and conditions is not None:
            raise ConfigError("give either RUN_B or --conditions, not both", field="--conditions")
        if conditions is not None:
            first, second = parse_conditions(conditions)
            comparison = compare_conditions(run_a, first, second, store)
        else:
            assert run_b is not None
            comparison = compare_runs(run_a, run_b, store)
        if comparison.pairs == 0:
            raise ConfigError(
                f"{comparison.label_a} and {comparison.label_b} share no graded session; "
                "grade both first (tutorloop grade RUN)"
            )
        if as_json:
            sys.stdout.write(comparison.model_dump_json(indent=2) + "\n")
        else:
            render_comparison(console, comparison)
