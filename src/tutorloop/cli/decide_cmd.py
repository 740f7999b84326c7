"""``tutorloop gate`` and ``tutorloop compare``: release decisions and A/B comparisons."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, cast

import typer
from rich.console import Console

from tutorloop.analyse import summarize
from tutorloop.bundled import bundled_policy
from tutorloop.cli.project_options import project_config
from tutorloop.errors import ConfigError
from tutorloop.present import (
    append_summary,
    render_comparison,
    render_gates,
    summary_markdown,
    write_junit,
)
from tutorloop.pulse import (
    RunMode,
    compare_conditions,
    compare_runs,
    gate_run,
    load_policy,
    parse_conditions,
)
from tutorloop.store import Store

RUN_MODES = ("demo", "core", "prod")


def register(app: typer.Typer, console: Console, err: Console) -> None:
    """Add ``gate`` and ``compare`` to ``app``."""

    @app.command()
    def gate(
        ctx: typer.Context,
        run_id: Annotated[str, typer.Argument(help="A graded run.")],
        policy: Annotated[
            Path | None,
            typer.Option("--policy", help="Gate policy YAML (default: the config's, or bundled)."),
        ] = None,
        status_json: Annotated[
            Path | None, typer.Option("--status-json", help="PULSE status.json to write/patch.")
        ] = None,
        run_mode: Annotated[str, typer.Option("--run-mode", help="demo, core or prod.")] = "core",
        fail_on_false: Annotated[
            bool, typer.Option("--fail-on-false", help="Exit 1 when a required gate is false.")
        ] = False,
        junit: Annotated[
            Path | None,
            typer.Option("--junit", help="Write the gates and failed checks as JUnit XML."),
        ] = None,
        summary: Annotated[
            Path | None,
            typer.Option(
                "--summary", help="Append a Markdown summary (e.g. $GITHUB_STEP_SUMMARY)."
            ),
        ] = None,
        base_run: Annotated[
            str | None,
            typer.Option("--base-run", help="A run to show changes against (the base branch's)."),
        ] = None,
        store: Annotated[Path | None, typer.Option("--store", help="SQLite store file.")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    ) -> None:
        """Evaluate release gates on a run and write them to a PULSE status.json."""
        if run_mode not in RUN_MODES:
            raise ConfigError(f"choose one of {', '.join(RUN_MODES)}", field="--run-mode")
        project = project_config(ctx, {"paths.status_json": status_json, "paths.store": store})
        store = project.paths.store
        if policy is not None:
            gate_policy = load_policy(policy)
        else:
            gate_policy = project.policy or load_policy(bundled_policy())
        outcome = gate_run(
            run_id,
            gate_policy,
            store_path=store,
            status_json=project.paths.status_json,
            run_mode=cast(RunMode, run_mode),
        )
        base = gate_run(base_run, gate_policy, store_path=store) if base_run else None
        if junit is not None:
            with Store.open(store) as opened:
                write_junit(junit, run_id, outcome.report, opened.iter_items(run_id))
        if summary is not None:
            with Store.open(store) as opened:
                run_summary = summarize(run_id, opened.iter_results(run_id))
            append_summary(summary, summary_markdown(outcome, run_summary, base))
        if as_json:
            data = {
                "run_id": outcome.run_id,
                "run_status": outcome.run_status,
                "gates": outcome.report.gates,
                "rows": [row.model_dump() for row in outcome.report.rows],
                "metrics": outcome.metrics,
                "status_json": str(outcome.status_path) if outcome.status_path else None,
                "junit": str(junit) if junit else None,
            }
            sys.stdout.write(json.dumps(data, indent=2) + "\n")
        else:
            render_gates(console, outcome.report)
            if outcome.comparison is not None:
                render_comparison(console, outcome.comparison, max_rows=5)
            if outcome.status_path:
                console.print(f"[bold]status.json[/] {outcome.status_path}")
            if junit:
                console.print(f"[bold]junit[/] {junit}")
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
