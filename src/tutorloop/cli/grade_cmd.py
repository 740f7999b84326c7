"""``tutorloop validate`` and ``tutorloop grade``: check inputs, grade sessions into the store."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.console import Console

from tutorloop.analyse import JudgeAgreement, RunSummary, judge_agreement, summarize
from tutorloop.cli import ray_cmd
from tutorloop.cli.call_options import (
    Api,
    BaseUrl,
    Cache,
    CacheScope,
    Concurrency,
    MaxRetries,
    Prices,
    Rps,
    Timeout,
    call_flags,
)
from tutorloop.cli.common import JsonOpt, LogFormatOpt, StoreOpt, print_json, problem_json
from tutorloop.cli.project_options import (
    JudgeBaseUrl,
    JudgeKeyEnv,
    KeyEnv,
    call_policy,
    default_settings,
    project_config,
)
from tutorloop.errors import ConfigError
from tutorloop.grade import DEFAULT_AUDIT_SHARE, load_heuristic_config, python_graders_refused
from tutorloop.load import estimate_records, validate_paths
from tutorloop.present import (
    progress_bar,
    render_judge_audit,
    render_problems,
    render_summary,
)
from tutorloop.run import (
    GradeConfig,
    ModelAccess,
    ModelGrading,
    RunConfig,
    RunReport,
    grade_paths,
    grade_run,
)
from tutorloop.store import (
    EXPORT_FORMATS,
    Store,
    atomic_write_text,
    export_run,
    write_manifest,
)


def register(app: typer.Typer, console: Console, err: Console) -> None:
    """Add ``validate`` and ``grade`` to ``app``."""

    @app.command()
    def validate(
        paths: Annotated[list[Path], typer.Argument(help="Session files, folders or JSONL files.")],
        fmt: LogFormatOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Check inputs without grading: every problem of every file in one pass (exit 1 if any)."""
        report = validate_paths(paths, fmt=fmt)
        problems = [*report.problems, *report.duplicates]
        if as_json:
            print_json(
                {
                    "ok": report.ok,
                    "items": report.items,
                    "problems": [problem_json(p) for p in problems],
                    "skipped": [{"path": s.path, "reason": s.reason} for s in report.skipped],
                }
            )
        else:
            for skip in report.skipped:
                console.print(f"[dim]skipped {skip.path}: {skip.reason}[/]")
            if problems:
                render_problems(console, problems, f"{len(problems)} problem(s)")
            verdict = "[green]valid[/]" if report.ok else "[red]invalid[/]"
            console.print(f"{report.items} session(s) read; input is {verdict}")
        if not report.ok:
            raise typer.Exit(1)

    @app.command()
    def grade(
        ctx: typer.Context,
        paths: Annotated[
            list[Path] | None,
            typer.Argument(
                help="Session files, folders, JSONL files, or the id of a replay run "
                "(default: paths.sessions)."
            ),
        ] = None,
        run_id: Annotated[
            str | None, typer.Option("--run-id", help="Name the run; reuse it to resume.")
        ] = None,
        out: Annotated[
            Path | None, typer.Option("--out", help="Also export results and manifest here.")
        ] = None,
        config: Annotated[
            Path | None, typer.Option("--config", help="YAML heuristic thresholds and cues.")
        ] = None,
        graders: Annotated[
            Path | None,
            typer.Option("--graders", help="OpenAI Evals testing_criteria file (YAML/JSON)."),
        ] = None,
        grader_model: Annotated[
            str | None,
            typer.Option("--grader-model", help="Model for every model grader, e.g. sim/study."),
        ] = None,
        judge: Annotated[
            str | None,
            typer.Option("--judge", help="Structured judge for unsure checks: provider/model."),
        ] = None,
        judge_base_url: JudgeBaseUrl = None,
        judge_key_env: JudgeKeyEnv = None,
        judge_all: Annotated[
            bool, typer.Option("--judge-all", help="Judge every session, not only unsure ones.")
        ] = False,
        judge_audit: Annotated[
            float,
            typer.Option(
                "--judge-audit",
                min=0.0,
                max=1.0,
                help="With --judge: the seeded share of sure sessions judged too (0: none).",
            ),
        ] = DEFAULT_AUDIT_SHARE,
        embedding_model: Annotated[
            str | None,
            typer.Option(
                "--embedding-model",
                help="For cosine similarity, e.g. openai/text-embedding-3-large.",
            ),
        ] = None,
        fmt: LogFormatOpt = None,
        learned: Annotated[
            list[Path] | None,
            typer.Option(
                "--learned", help="A learned grader folder (repeatable): grades every turn."
            ),
        ] = None,
        allow_unsandboxed_python: Annotated[
            bool,
            typer.Option(
                "--allow-unsandboxed-python",
                envvar="TUTORLOOP_ALLOW_UNSANDBOXED_PYTHON",
                help="Run python graders as plain processes where bubblewrap is missing: their "
                "code can then read whatever you can read.",
            ),
        ] = False,
        concurrency: Concurrency = None,
        rps: Rps = None,
        timeout: Timeout = None,
        max_retries: MaxRetries = None,
        base_url: BaseUrl = None,
        api: Api = None,
        key_env: KeyEnv = None,
        cache: Cache = None,
        cache_scope: CacheScope = None,
        prices: Prices = None,
        store: StoreOpt = None,
        as_json: JsonOpt = False,
        engine: ray_cmd.Engine = "local",
        ray_address: ray_cmd.RayAddress = None,
        ray_actors: ray_cmd.RayActors = 2,
    ) -> None:
        """Grade sessions: heuristics first, then the judge where unsure, then any graders."""
        flags = {
            **call_flags(
                concurrency=concurrency, rps=rps, timeout=timeout, max_retries=max_retries,
                cache=cache, prices=prices, cache_scope=cache_scope,
            ),
            "endpoints.judge.model": judge,
            "endpoints.judge.base_url": judge_base_url,
            "endpoints.judge.key_env": judge_key_env,
            "grade.graders": graders,
            "grade.grader_model": grader_model,
            "grade.judge_all": judge_all or None,
            "grade.heuristics": config,
            "grade.embedding_model": embedding_model,
            "paths.store": store,
        }  # fmt: skip
        project = project_config(ctx, flags)
        paths = paths or project.paths.sessions
        if not paths:
            raise ConfigError(
                "name what to grade: tutorloop grade PATH... or RUN_ID, or paths.sessions in "
                "tutorloop.yaml",
                field="PATHS",
            )
        store = project.paths.store
        grade_config = GradeConfig(
            learned=learned or [], decide=project.thresholds.decide(), input_format=fmt
        )
        if project.grade.heuristics is not None:
            grade_config.heuristics = load_heuristic_config(project.grade.heuristics)
        options = RunConfig(run_id=run_id, store_path=store)
        section = project.grade
        models = ModelGrading(
            graders_path=section.graders,
            grader_model=section.grader_model,
            judge_model=project.model_of("judge"),
            judge_all=section.judge_all,
            judge_audit=judge_audit,
            embedding_model=section.embedding_model,
            python_graders=_python_policy(allow_unsandboxed_python),
        )
        routed = {
            name: e for name, e in project.endpoints.items() if name not in ("tutor", "learner")
        }
        access = ModelAccess(call_policy(project), default_settings(base_url, api, key_env), routed)
        if ray_cmd.use_ray(engine):
            ray_cmd.refuse_log_format(fmt)
        if ray_cmd.use_ray(engine) and any(e.routes for e in routed.values()):
            raise ConfigError(
                "per-role endpoints are not available with --engine ray: give the judge and "
                "graders the default endpoint (--base-url), or use --engine local",
                field="endpoints",
            )
        stored_run = _stored_run(paths, store)
        if ray_cmd.use_ray(engine):
            report = ray_cmd.grade_on_ray(
                paths, grade_config, options, models, access, ray_address, ray_actors
            )
        else:
            total = None if stored_run is not None else estimate_records(paths)
            with progress_bar(err if as_json else console, total, "grading") as advance:
                if stored_run is not None:
                    report = grade_run(stored_run, grade_config, options, advance, models, access)
                else:
                    report = grade_paths(paths, grade_config, options, advance, models, access)
        summary = run_summary(report.manifest.run_id, store)
        written = export_files(report.manifest.run_id, store, out) if out else {}
        audit = judge_audit_rows(report.manifest.run_id, store)
        if as_json:
            print_json(
                {
                    "run": report.manifest.model_dump(mode="json"),
                    "summary": summary.model_dump(mode="json"),
                    "problems": [problem_json(p) for p in report.problems],
                    "skipped": [{"path": s.path, "reason": s.reason} for s in report.skipped],
                    "results": list(_results_json(report.manifest.run_id, store)),
                    "exports": {k: str(v) for k, v in written.items()},
                    "judge_audit": [row.model_dump(mode="json") for row in audit],
                }
            )
        else:
            print_run(console, report, summary, written)
            if audit:
                render_judge_audit(console, audit, summary.items)
        if report.problems:
            raise typer.Exit(1)


def _python_policy(allow_unsandboxed: bool) -> Literal["sandbox", "unsandboxed"]:
    """The sandbox where bubblewrap works; plain processes only where allowed and it does not."""
    if allow_unsandboxed and python_graders_refused("sandbox") is not None:
        return "unsandboxed"
    return "sandbox"


def _stored_run(paths: list[Path], store: Path | None) -> str | None:
    """The run id when the only argument names a stored run rather than a file."""
    if len(paths) != 1 or paths[0].exists():
        return None
    with Store.open(store) as opened:
        known = {m.run_id for m in opened.list_runs()}
    return str(paths[0]) if str(paths[0]) in known else None


def run_summary(run_id: str, store_path: Path | None) -> RunSummary:
    """The summary of a stored run."""
    with Store.open(store_path) as store:
        return summarize(run_id, store.iter_results(run_id))


def judge_audit_rows(run_id: str, store_path: Path | None) -> list[JudgeAgreement]:
    """Heuristic–judge agreement per check of a stored run (empty when no judge saw it)."""
    with Store.open(store_path) as store:
        return judge_agreement(store.judge_counts(run_id))


def export_files(
    run_id: str, store_path: Path | None, out: Path, formats: list[str] | None = None
) -> dict[str, Path]:
    """Export a stored run and its manifest into ``out``; kind → path, the store's path too.

    A run the judge reviewed also gets ``judge_agreement.json``: heuristic–judge agreement per
    heuristics version and check, with Wilson intervals.
    """
    with Store.open(store_path) as store:
        written = export_run(store, run_id, out, formats or list(EXPORT_FORMATS))
        written["manifest"] = write_manifest(store.get_run(run_id), out)
        audit = judge_agreement(store.judge_counts(run_id))
        if audit:
            rows = [row.model_dump(mode="json") for row in audit]
            path = Path(out) / "judge_agreement.json"
            atomic_write_text(path, json.dumps(rows, indent=2) + "\n")
            written["judge"] = path
        written["store"] = store.path
    return written


def _results_json(run_id: str, store_path: Path | None) -> Iterator[dict[str, Any]]:
    with Store.open(store_path) as store:
        for item in store.iter_items(run_id):
            yield {
                "item_key": item.item_key,
                "status": item.status,
                "error": item.error_message,
                "result": item.result.model_dump(mode="json") if item.result else None,
            }


def print_run(
    console: Console, report: RunReport, summary: RunSummary, written: dict[str, Path]
) -> None:
    """What a grading run did: skips, resumed items, the summary tables, problems, files."""
    for skip in report.skipped:
        console.print(f"[dim]skipped {skip.path}: {skip.reason}[/]")
    if report.resumed_items:
        console.print(f"resumed: {report.resumed_items} item(s) were already graded in this run")
    render_summary(console, summary)
    if report.problems:
        render_problems(console, report.problems, f"{len(report.problems)} input problem(s)")
    for kind, path in written.items():
        console.print(f"[bold]{kind:8}[/] {path}")
