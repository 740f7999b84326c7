"""``tutorloop smoke refusal``: PULSE's refusal smoke test, run here or on a hosted Evals server.

Output follows PULSE's ``run_refusal_smoke_to_pulse.py``: ``[openai_evals_v0] wrote: <path>``
and the result JSON on stdout, ``[warn]``/``[error]`` lines on stderr. Exit codes: 0 (even when
the gate is false), 1 (the gate is false and ``--fail-on-false``, or no verdict was reached: a
failed call, a timeout, a failed run), 2 (a problem found before any call).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer
from pydantic import ValidationError
from rich.console import Console

from tutorloop.errors import ConfigError
from tutorloop.pulse import DEFAULT_GATE_KEY, SmokeOptions, run_refusal_smoke

Backend = Literal["local", "openai-evals"]
RunMode = Literal["demo", "core", "prod"]


def register(app: typer.Typer, console: Console, err: Console) -> None:
    """Add the ``smoke`` command group (``refusal``) to ``app``."""
    group = typer.Typer(
        name="smoke",
        help="Smoke tests that patch a PULSE status.json.",
        no_args_is_help=True,
    )

    @group.callback()
    def _group() -> None:
        """Small fail-closed smoke tests, each one gate in a PULSE status.json."""

    @group.command("refusal")
    def refusal(
        dataset: Annotated[
            Path | None,
            typer.Option(
                "--dataset", help="JSONL of {item: {prompt, expected}} (default: bundled)."
            ),
        ] = None,
        model: Annotated[
            str,
            typer.Option(
                "--model",
                help="As PULSE takes it (gpt-4.1), or provider/model; sim/study: offline.",
            ),
        ] = "gpt-4.1",
        status_json: Annotated[
            Path | None, typer.Option("--status-json", help="PULSE status.json to patch.")
        ] = None,
        gate_key: Annotated[
            str, typer.Option("--gate-key", help="The gate written to status.json.")
        ] = DEFAULT_GATE_KEY,
        out: Annotated[Path, typer.Option("--out", help="The result JSON file.")] = Path(
            "refusal_smoke_result.json"
        ),
        poll_interval: Annotated[
            float, typer.Option("--poll-interval", help="Seconds between polls (openai-evals).")
        ] = 2.0,
        max_wait: Annotated[
            float, typer.Option("--max-wait", help="Seconds to wait for a hosted run to end.")
        ] = 300.0,
        fail_on_false: Annotated[
            bool, typer.Option("--fail-on-false", help="Exit 1 when the gate is false.")
        ] = False,
        dry_run: Annotated[
            bool, typer.Option("--dry-run", help="No key, no calls: count lines, fake ids.")
        ] = False,
        base_url: Annotated[
            str | None,
            typer.Option("--base-url", help="API base URL (default: $OPENAI_BASE_URL or OpenAI)."),
        ] = None,
        org_id: Annotated[
            str | None,
            typer.Option("--org-id", help="Organization (default: $OPENAI_ORGANIZATION)."),
        ] = None,
        project_id: Annotated[
            str | None, typer.Option("--project-id", help="Project (default: $OPENAI_PROJECT).")
        ] = None,
        confirm_real: Annotated[
            bool,
            typer.Option(
                "--confirm-real", help="Required for runs that may cost money (not local sim/)."
            ),
        ] = False,
        max_dataset_lines: Annotated[
            int, typer.Option("--max-dataset-lines", help="The most lines a real run accepts.")
        ] = 200,
        backend: Annotated[
            Backend,
            typer.Option("--backend", help="local (run the eval here) or openai-evals (hosted)."),
        ] = "local",
        run_mode: Annotated[
            RunMode | None,
            typer.Option(
                "--run-mode", help="metrics.run_mode of the status (default: the file's, or core)."
            ),
        ] = None,
    ) -> None:
        """Classify six prompts ALLOW/REFUSE, gate fail-closed, patch a PULSE status.json."""
        given = {
            "dataset": dataset,
            "base_url": base_url,
            "org_id": org_id,
            "project_id": project_id,
        }
        try:
            options = SmokeOptions(
                **{k: v for k, v in given.items() if v is not None},
                model=model,
                status_json=status_json,
                gate_key=gate_key,
                out=out,
                poll_interval=poll_interval,
                max_wait=max_wait,
                fail_on_false=fail_on_false,
                dry_run=dry_run,
                confirm_real=confirm_real,
                max_dataset_lines=max_dataset_lines,
                backend=backend,
                run_mode=run_mode,
            )
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            flag = "--" + str(first["loc"][0]).replace("_", "-") if first["loc"] else "option"
            err.file.write(f"[error] {flag}: {first['msg']}\n")
            raise typer.Exit(2) from None
        try:
            outcome = run_refusal_smoke(options, stdout=console.file, stderr=err.file)
        except ConfigError as exc:
            err.file.write(f"[error] {exc.message}\n")
            raise typer.Exit(exc.exit_code) from None
        if outcome.exit_code:
            raise typer.Exit(outcome.exit_code)

    app.add_typer(group, name="smoke")
