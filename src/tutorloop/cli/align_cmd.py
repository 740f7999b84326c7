"""``tutorloop align run / rejudge / salvage / summary``: the alignment benchmark runner.

Exit codes: 0 when every row has a verdict, 1 when some rows ended with an error (they are in
the results; ``rejudge`` retries the judge), 2 for a bad dataset or option, 4 when a model or
the judge cannot be used (the run stops; the same ``--run-id`` resumes).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, cast

import typer
from rich.console import Console

from tutorloop.align import (
    DEFAULT_JUDGE_MODEL,
    AlignConfig,
    AlignSummary,
    RejudgeOptions,
    bundled_align_dataset,
    parse_list,
    rejudge_run,
    run_align,
    salvage_run,
    summarize_rows,
)
from tutorloop.cli.common import print_json
from tutorloop.errors import ConfigError
from tutorloop.generate import CallPolicy, ProviderSettings
from tutorloop.present import progress_bar, render_align_summary
from tutorloop.store import AlignStore

OutputDir = Annotated[Path, typer.Option("--output-dir", help="Folder of the run folders.")]
JsonOut = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON instead.")]
Models = Annotated[
    str | None,
    typer.Option(
        "--models",
        help="Comma-separated models, kept as given (a bare name runs on openai/<name>).",
    ),
]
Personas = Annotated[
    str | None, typer.Option("--personas", help="Comma-separated persona slugs (default: all).")
]
Concurrency = Annotated[int, typer.Option("--concurrency", min=1, help="Calls in flight.")]
RateLimit = Annotated[
    float,
    typer.Option("--rate-limit-rps", min=0.0, help="Requests per second per server (0: no limit)."),
]
Retries = Annotated[int, typer.Option("--retries", min=0, help="Retries after a failed call.")]
Timeout = Annotated[float, typer.Option("--timeout", help="Seconds per call.")]
BaseUrl = Annotated[str | None, typer.Option("--base-url", help="OpenAI-compatible server URL.")]
Api = Annotated[str, typer.Option("--api", help="chat or responses.")]
DEFAULT_DATASET = Path("alignment_eval_dataset.jsonl")


def _policy(
    concurrency: int, rps: float, retries: int, timeout: float, base_url: str | None, api: str
) -> tuple[CallPolicy, ProviderSettings]:
    if api not in ("chat", "responses"):
        raise ConfigError("choose chat or responses", field="--api")
    policy = CallPolicy(
        concurrency=concurrency,
        rps=rps or None,
        max_retries=retries,
        timeout_s=timeout,
        cache=False,
    )
    settings = ProviderSettings(base_url=base_url, api=cast(Literal["chat", "responses"], api))
    return policy, settings


def default_dataset() -> Path:
    """``./alignment_eval_dataset.jsonl`` when it exists, else the bundled example dataset."""
    return DEFAULT_DATASET if DEFAULT_DATASET.exists() else bundled_align_dataset()


def summary_of(run_dir: Path, run_id: str) -> AlignSummary:
    """The summary of the alignment run in ``run_dir``, read from its partial rows."""
    with AlignStore(run_dir) as store:
        return summarize_rows(run_id, store.iter_rows())


def register(app: typer.Typer, console: Console, err: Console) -> None:
    """Add the ``align`` command group to ``app``."""
    group = typer.Typer(
        name="align",
        help="Alignment benchmark: models × personas × adversarial tests, with a JSON judge.",
        no_args_is_help=True,
    )

    @group.callback()
    def _group() -> None:
        """Run, re-judge and salvage alignment benchmark runs under results/<run_id>/."""

    @group.command("run")
    def run(
        models: Models = None,
        dataset: Annotated[
            Path | None,
            typer.Option(
                "--dataset",
                help=f"JSONL dataset (default: ./{DEFAULT_DATASET} if present, else the bundled "
                "example).",
            ),
        ] = None,
        personas: Personas = None,
        judge_model: Annotated[
            str, typer.Option("--judge-model", help="The judge: provider/model.")
        ] = DEFAULT_JUDGE_MODEL,
        concurrency: Concurrency = 2,
        rate_limit_rps: RateLimit = 0.5,
        retries: Retries = 3,
        output_dir: OutputDir = Path("results"),
        run_id: Annotated[
            str | None, typer.Option("--run-id", help="Name the run; reuse it to resume.")
        ] = None,
        timeout: Timeout = 120.0,
        base_url: BaseUrl = None,
        api: Api = "chat",
        as_json: JsonOut = False,
    ) -> None:
        """Answer every test under every persona with every model, and judge each answer."""
        if not models:
            raise ConfigError("--models is required (comma-separated)", field="--models")
        config = AlignConfig(
            dataset=dataset or default_dataset(),
            models=parse_list(models, "--models"),
            personas=parse_list(personas, "--personas") if personas else [],
            judge_model=judge_model,
            output_dir=output_dir,
            run_id=run_id,
        )
        policy, settings = _policy(concurrency, rate_limit_rps, retries, timeout, base_url, api)
        with progress_bar(err if as_json else console, None, "align") as advance:
            report = run_align(config, policy, settings, advance)
        summary = summary_of(report.run_dir, report.run_id)
        if as_json:
            print_json(
                {
                    "run_id": report.run_id,
                    "run_dir": str(report.run_dir),
                    "total": report.total,
                    "written": report.written,
                    "resumed": report.resumed,
                    "errored": report.errored,
                    "repaired": report.repaired,
                    "calls": {"paid": report.stats.calls, "reused": report.stats.resumed},
                    "finals": {k: str(v) for k, v in report.finals.items()},
                    "summary": summary.model_dump(mode="json"),
                }
            )
        else:
            render_align_summary(console, summary)
            console.print(
                f"run {report.run_id}: {report.written} row(s) written, {report.resumed} already "
                f"done, {report.errored} with an error → {report.run_dir}"
            )
        if summary.errors:
            err.print(
                f"[yellow]{summary.errors} row(s) have no valid verdict; see 'error' in "
                f"results.csv, then: tutorloop align rejudge {report.run_id}[/]"
            )
            raise typer.Exit(1)

    @group.command("rejudge")
    def rejudge(
        run_id: Annotated[str, typer.Argument(help="The run to re-judge.")],
        models: Models = None,
        personas: Personas = None,
        judge_model: Annotated[
            str | None, typer.Option("--judge-model", help="Default: the run's judge.")
        ] = None,
        dataset: Annotated[
            Path | None, typer.Option("--dataset", help="Default: the run's dataset.")
        ] = None,
        concurrency: Concurrency = 2,
        rate_limit_rps: RateLimit = 0.5,
        retries: Retries = 3,
        output_dir: OutputDir = Path("results"),
        timeout: Timeout = 120.0,
        base_url: BaseUrl = None,
        api: Api = "chat",
        as_json: JsonOut = False,
    ) -> None:
        """Judge again the rows that have an answer but a missing or errored verdict."""
        options = RejudgeOptions(
            run_id=run_id,
            output_dir=output_dir,
            dataset=dataset,
            judge_model=judge_model,
            models=parse_list(models, "--models") if models else [],
            personas=parse_list(personas, "--personas") if personas else [],
        )
        policy, settings = _policy(concurrency, rate_limit_rps, retries, timeout, base_url, api)
        report = rejudge_run(options, policy, settings)
        summary = summary_of(report.run_dir, run_id)
        if as_json:
            print_json(
                {
                    "run_id": run_id,
                    "candidates": report.candidates,
                    "judged": report.judged,
                    "errored": report.errored,
                    "finals": {k: str(v) for k, v in report.finals.items()},
                    "summary": summary.model_dump(mode="json"),
                }
            )
        else:
            render_align_summary(console, summary)
            console.print(
                f"re-judged {report.judged} of {report.candidates} row(s); "
                f"{report.errored} still without a valid verdict"
            )
        if report.errored:
            raise typer.Exit(1)

    @group.command("salvage")
    def salvage(
        run_id: Annotated[str, typer.Argument(help="The run to rebuild.")],
        output_dir: OutputDir = Path("results"),
    ) -> None:
        """Rebuild results.parquet and results.csv from partials.jsonl (last row per key)."""
        for kind, path in salvage_run(run_id, output_dir).items():
            console.print(f"{kind:8} {path}")

    @group.command("summary")
    def summary(
        run_id: Annotated[str, typer.Argument(help="The run to summarise.")],
        output_dir: OutputDir = Path("results"),
        as_json: JsonOut = False,
    ) -> None:
        """Print the summary of a run from its partial rows."""
        run_dir = output_dir / run_id
        if not (run_dir / "partials.jsonl").exists():
            raise ConfigError(f"no alignment run '{run_id}' in {output_dir}", field="RUN_ID")
        result = summary_of(run_dir, run_id)
        if as_json:
            print_json(result.model_dump(mode="json"))
        else:
            render_align_summary(console, result)

    app.add_typer(group)
