"""``tutorloop oaieval MODEL EVAL``: run an openai/evals registry eval by name, as oaieval does.

``EVAL`` is an alias (``test-match``) or a full id of the registry (``--registry DIR``, the
openai/evals layout; default: the bundled one). ``MODEL`` is any tutorloop model; ``MODEL,JUDGE``
names the judge of a model-graded eval as oaieval's comma-separated completion functions do (or
use ``--judge``). Output: oaieval's ``Final report:`` lines (or ``--json``). Exit codes: 0, 1 when
a sample errored (its error is stored with the run), 2 for a problem found before any call
(unknown eval or class, bad YAML, a bad samples line), 3 for the store, 4 when the candidate or
judge never answered.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from tutorloop.cli.call_options import (
    Api,
    BaseUrl,
    Cache,
    Concurrency,
    MaxRetries,
    Prices,
    Rps,
    Timeout,
    call_flags,
)
from tutorloop.cli.common import JsonOpt, StoreOpt, print_json
from tutorloop.cli.project_options import call_policy, default_settings, project_config
from tutorloop.errors import ConfigError
from tutorloop.present import progress_bar, render_final_report
from tutorloop.run import DEFAULT_SEED, ModelAccess, OaiEvalOptions, RunConfig, oaieval


def split_models(model: str, judge: str | None) -> tuple[str, str | None]:
    """The candidate and the judge from ``MODEL[,JUDGE]`` and ``--judge``."""
    parts = [p.strip() for p in model.split(",")]
    if len(parts) > 2 or not all(parts):
        raise ConfigError("give MODEL or MODEL,JUDGE (two names at most)", field="MODEL")
    if len(parts) == 2:
        if judge is not None and judge != parts[1]:
            raise ConfigError("the judge is named twice (MODEL,JUDGE and --judge)", field="--judge")
        return parts[0], parts[1]
    return parts[0], judge


def register(app: typer.Typer, console: Console, err: Console) -> None:
    """Add the ``oaieval`` command to ``app``."""

    @app.command("oaieval")
    def oaieval_command(
        ctx: typer.Context,
        model: Annotated[
            str,
            typer.Argument(
                metavar="MODEL",
                help="The candidate: provider/model or a bare OpenAI name (sim/study offline).",
            ),
        ],
        eval_name: Annotated[
            str, typer.Argument(metavar="EVAL", help="The eval's name or id in the registry.")
        ],
        registry: Annotated[
            Path | None,
            typer.Option("--registry", help="Registry folder (openai/evals layout)."),
        ] = None,
        judge: Annotated[
            str | None,
            typer.Option("--judge", help="The judge of model-graded evals: provider/model."),
        ] = None,
        max_samples: Annotated[
            int | None, typer.Option("--max-samples", min=1, help="Grade at most N samples.")
        ] = None,
        seed: Annotated[
            int, typer.Option("--seed", help="Chooses --max-samples and the bootstrap draws.")
        ] = DEFAULT_SEED,
        run_id: Annotated[
            str | None, typer.Option("--run-id", help="Name the run; reuse it to resume.")
        ] = None,
        record_path: Annotated[
            Path | None,
            typer.Option("--record-path", help="Also write oaieval's JSONL record file here."),
        ] = None,
        concurrency: Concurrency = None,
        rps: Rps = None,
        timeout: Timeout = None,
        max_retries: MaxRetries = None,
        base_url: BaseUrl = None,
        api: Api = None,
        cache: Cache = None,
        prices: Prices = None,
        store: StoreOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Run an openai/evals registry eval by name against a model; print its final report."""
        candidate, judge_model = split_models(model, judge)
        options = OaiEvalOptions(
            model=candidate,
            eval_name=eval_name,
            registry=registry,
            judge_model=judge_model,
            max_samples=max_samples,
            seed=seed,
            record_path=record_path,
        )
        flags = call_flags(
            concurrency=concurrency, rps=rps, timeout=timeout, max_retries=max_retries,
            cache=cache, prices=prices,
        )  # fmt: skip
        project = project_config(ctx, flags)
        access = ModelAccess(call_policy(project), default_settings(base_url, api, None))
        with progress_bar(err, None, eval_name) as advance:
            report = oaieval(options, RunConfig(run_id=run_id, store_path=store), access, advance)
        if as_json:
            print_json(report.model_dump(mode="json"))
        else:
            render_final_report(console, report)
        if report.errored:
            err.print(
                f"[yellow]{report.errored} sample(s) errored[/]; their errors are stored with "
                f"run {report.run_id} (tutorloop export {report.run_id})"
            )
            raise typer.Exit(1)
