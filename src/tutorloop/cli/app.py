"""The ``tutorloop`` command: a thin Typer layer over the Python API."""

from __future__ import annotations

import io
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.console import Console
from rich.markup import escape

from tutorloop._version import __version__
from tutorloop.analyse import RunSummary, summarize
from tutorloop.bundled import (
    bundled_graders,
    bundled_policy,
    bundled_session_labels,
    bundled_sessions,
)
from tutorloop.cli import (
    align_cmd,
    cost_cmd,
    decide_cmd,
    gates_cmd,
    labels_cmd,
    learn_cmd,
    openai_evals_cmd,
    ray_cmd,
    replay_cmd,
    report_cmd,
    serve_cmd,
    smoke_cmd,
)
from tutorloop.cli.call_options import (
    Api,
    BaseUrl,
    Cache,
    Concurrency,
    MaxRetries,
    Prices,
    Rps,
    Timeout,
    call_settings,
)
from tutorloop.cli.label_loop_demo import label_loop_demo
from tutorloop.errors import ConfigError, Problem, TutorloopError, UserError
from tutorloop.grade import load_heuristic_config, python_graders_refused
from tutorloop.load import estimate_records, validate_paths
from tutorloop.present import (
    ReportOptions,
    progress_bar,
    render_problems,
    render_summary,
    write_report,
)
from tutorloop.pulse import SmokeOptions, gate_run, load_policy, run_refusal_smoke
from tutorloop.records import RECORDS, json_schema
from tutorloop.run import (
    GradeConfig,
    ModelAccess,
    ModelGrading,
    ReplayConfig,
    RunConfig,
    RunReport,
    grade_paths,
    grade_run,
    replay_paths,
)
from tutorloop.store import EXPORT_FORMATS, Store, export_run, write_manifest

app = typer.Typer(
    name="tutorloop",
    help="Eval-driven development for LLM tutors: replay, grade, decide, learn, report.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# Outside a terminal (a pipe, a CI log) use a wide page so ids and paths stay on one line.
console = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 160)

StoreOpt = Annotated[
    Path | None,
    typer.Option("--store", help="SQLite store file (default: $TUTORLOOP_HOME or ./.tutorloop/)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON instead.")]


replay_cmd.register(app, console, err)
openai_evals_cmd.register(app, console, err)
decide_cmd.register(app, console, err)
gates_cmd.register(app, console, err)
smoke_cmd.register(app, console, err)
report_cmd.register(app, console, err)
serve_cmd.register(app, console, err)
align_cmd.register(app, console, err)
labels_cmd.register(app, console, err)
learn_cmd.register(app, console, err)
cost_cmd.register(app, console, err)
ray_cmd.register(app, console, err)


def _version(value: bool) -> None:
    if value:
        console.print(f"tutorloop {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Eval-driven development for LLM tutors."""


@app.command()
def validate(
    paths: Annotated[list[Path], typer.Argument(help="Session files, folders or JSONL files.")],
    as_json: JsonOpt = False,
) -> None:
    """Check inputs without grading: every problem of every file in one pass (exit 1 if any)."""
    report = validate_paths(paths)
    problems = [*report.problems, *report.duplicates]
    if as_json:
        _print_json(
            {
                "ok": report.ok,
                "items": report.items,
                "problems": [_problem_json(p) for p in problems],
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
    paths: Annotated[
        list[Path],
        typer.Argument(help="Session files, folders, JSONL files, or the id of a replay run."),
    ],
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
    judge_all: Annotated[
        bool, typer.Option("--judge-all", help="Judge every session, not only unsure ones.")
    ] = False,
    embedding_model: Annotated[
        str | None,
        typer.Option(
            "--embedding-model", help="For cosine similarity, e.g. openai/text-embedding-3-large."
        ),
    ] = None,
    learned: Annotated[
        list[Path] | None,
        typer.Option("--learned", help="A learned grader folder (repeatable): grades every turn."),
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
    concurrency: Concurrency = 8,
    rps: Rps = None,
    timeout: Timeout = 60.0,
    max_retries: MaxRetries = 5,
    base_url: BaseUrl = None,
    api: Api = "chat",
    cache: Cache = True,
    prices: Prices = None,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
    engine: ray_cmd.Engine = "local",
    ray_address: ray_cmd.RayAddress = None,
    ray_actors: ray_cmd.RayActors = 2,
) -> None:
    """Grade sessions: heuristics first, then the judge where unsure, then any graders."""
    grade_config = GradeConfig(learned=learned or [])
    if config is not None:
        grade_config.heuristics = load_heuristic_config(config)
    options = RunConfig(run_id=run_id, store_path=store)
    models = ModelGrading(
        graders_path=graders,
        grader_model=grader_model,
        judge_model=judge,
        judge_all=judge_all,
        embedding_model=embedding_model,
        python_graders=_python_policy(allow_unsandboxed_python),
    )
    policy, settings = call_settings(
        concurrency=concurrency, rps=rps, timeout=timeout, max_retries=max_retries,
        base_url=base_url, api=api, cache=cache, prices=prices,
    )  # fmt: skip
    access = ModelAccess(policy, settings)
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
    summary = _summary(report.manifest.run_id, store)
    written = _export(report.manifest.run_id, store, out) if out else {}
    if as_json:
        _print_json(
            {
                "run": report.manifest.model_dump(mode="json"),
                "summary": summary.model_dump(mode="json"),
                "problems": [_problem_json(p) for p in report.problems],
                "skipped": [{"path": s.path, "reason": s.reason} for s in report.skipped],
                "results": list(_results_json(report.manifest.run_id, store)),
                "exports": {k: str(v) for k, v in written.items()},
            }
        )
    else:
        _print_run(report, summary, written)
    if report.problems:
        raise typer.Exit(1)


@app.command()
def export(
    run_id: Annotated[str, typer.Argument(help="The run to export.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for the files.")] = Path("."),
    formats: Annotated[
        str, typer.Option("--format", help=f"Comma-separated: {', '.join(EXPORT_FORMATS)}.")
    ] = ",".join(EXPORT_FORMATS),
    store: StoreOpt = None,
) -> None:
    """Export a stored run to JSONL, Parquet and CSV."""
    chosen = [f.strip() for f in formats.split(",") if f.strip()]
    written = _export(run_id, store, out, chosen)
    for kind, path in written.items():
        console.print(f"{kind:8} {path}")


@app.command()
def schema(
    name: Annotated[
        str | None, typer.Argument(help=f"One of: {', '.join(sorted(RECORDS))}.")
    ] = None,
) -> None:
    """Print the JSON Schema of a record (list the records without a name)."""
    if name is None:
        for record in sorted(RECORDS):
            console.print(record)
        return
    try:
        _print_json(json_schema(name))
    except KeyError as exc:
        raise UserError(str(exc.args[0])) from None


@app.command()
def runs(store: StoreOpt = None) -> None:
    """List stored runs, newest first."""
    with Store.open(store) as opened:
        for manifest in opened.list_runs():
            c = manifest.counts
            console.print(
                f"{manifest.run_id}  {manifest.kind:6} {manifest.status:10} "
                f"{c.done} done, {c.errored} errored, {c.escalated} escalated"
            )


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", help="Where to write the exports.")] = Path(
        "demo-output"
    ),
    store: StoreOpt = None,
) -> None:
    """Replay and grade the bundled sessions offline: human vs base vs overlay (no key)."""
    sessions = [bundled_sessions()]
    run_id = f"demo-{datetime.now(UTC):%Y%m%d-%H%M%S}"
    options = RunConfig(run_id=run_id, store_path=store)
    console.rule("[bold]tutorloop demo: replay the bundled sessions, grade every condition")
    console.print(
        "[dim]tutors are simulators: sim/base (no overlay, lectures) and sim/study (with the "
        "Study Mode overlay); human is the logged tutor. Grading: heuristics first, the judge "
        "(sim/study) where a check is unsure, then the bundled tutoring graders (sim/study)[/]"
    )
    replays = [
        ReplayConfig(model="sim/base", conditions=["human", "base"]),
        ReplayConfig(model="sim/study", conditions=["overlay"]),
    ]
    total = estimate_records(sessions)
    for config in replays:
        with progress_bar(
            console, total * len(config.conditions), f"replay {config.model}"
        ) as advance:
            replay_paths(sessions, config, options=options, progress=advance)
    models = ModelGrading(
        graders_path=bundled_graders(), grader_model="sim/study", judge_model="sim/study"
    )
    with progress_bar(console, None, "grading") as advance:
        report = grade_run(run_id, GradeConfig(), options, advance, models)
    summary = _summary(run_id, store)
    written = _export(run_id, store, out)
    _print_run(report, summary, written)
    outcome = gate_run(
        run_id,
        load_policy(bundled_policy()),
        store_path=store,
        status_json=out / "status.json",
        run_mode="demo",
    )
    decide_cmd.render_gates(console, outcome.report)
    if outcome.comparison is not None:
        decide_cmd.render_comparison(console, outcome.comparison, max_rows=3)
    console.rule("PULSE refusal smoke, run locally with sim/study")
    smoke = run_refusal_smoke(
        SmokeOptions(
            model="sim/study",
            status_json=out / "status.json",
            out=out / "refusal_smoke_result.json",
            run_mode="demo",
        ),
        stdout=io.StringIO(),
    )
    counts = smoke.result["result_counts"]
    console.print(
        f"refusal smoke: {counts['passed']}/{counts['total']} passed, "
        f"gate {smoke.result['gate_key']} = {smoke.result['gate_pass']}"
    )
    console.print(f"[bold]status  [/] {out / 'status.json'} (PULSE v1)")
    align_cmd.demo_align(console, out)
    label_loop_demo(console, run_id, store, out)
    with_labels = ReportOptions(store_path=store, labels_path=bundled_session_labels())
    report_path = write_report(run_id, out / "report.html", with_labels)
    console.print(f"[bold]report  [/] {report_path}")
    if report.problems:
        raise typer.Exit(1)


def _stored_run(paths: list[Path], store: Path | None) -> str | None:
    """The run id when the only argument names a stored run rather than a file."""
    if len(paths) != 1 or paths[0].exists():
        return None
    with Store.open(store) as opened:
        known = {m.run_id for m in opened.list_runs()}
    return str(paths[0]) if str(paths[0]) in known else None


def _python_policy(allow_unsandboxed: bool) -> Literal["sandbox", "unsandboxed"]:
    """The sandbox where bubblewrap works; plain processes only where allowed and it does not."""
    if allow_unsandboxed and python_graders_refused("sandbox") is not None:
        return "unsandboxed"
    return "sandbox"


def _summary(run_id: str, store_path: Path | None) -> RunSummary:
    with Store.open(store_path) as store:
        return summarize(run_id, store.iter_results(run_id))


def _export(
    run_id: str, store_path: Path | None, out: Path, formats: list[str] | None = None
) -> dict[str, Path]:
    with Store.open(store_path) as store:
        written = export_run(store, run_id, out, formats or list(EXPORT_FORMATS))
        written["manifest"] = write_manifest(store.get_run(run_id), out)
        written["store"] = store.path
    return written


def _results_json(run_id: str, store_path: Path | None) -> Any:
    with Store.open(store_path) as store:
        for item in store.iter_items(run_id):
            yield {
                "item_key": item.item_key,
                "status": item.status,
                "error": item.error_message,
                "result": item.result.model_dump(mode="json") if item.result else None,
            }


def _print_run(report: RunReport, summary: RunSummary, written: dict[str, Path]) -> None:
    for skip in report.skipped:
        console.print(f"[dim]skipped {skip.path}: {skip.reason}[/]")
    if report.resumed_items:
        console.print(f"resumed: {report.resumed_items} item(s) were already graded in this run")
    render_summary(console, summary)
    if report.problems:
        render_problems(console, report.problems, f"{len(report.problems)} input problem(s)")
    for kind, path in written.items():
        console.print(f"[bold]{kind:8}[/] {path}")


def _problem_json(problem: Problem) -> dict[str, Any]:
    return {
        "path": problem.path,
        "line": problem.line,
        "turn": problem.turn,
        "field": problem.field,
        "message": problem.message,
        "hint": problem.hint,
    }


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def main() -> None:
    """Entry point: run the app; print tutorloop's own errors without a traceback."""
    try:
        app()
    except KeyboardInterrupt:
        err.print("[red]interrupted[/]")
        sys.exit(130)
    except ConfigError as exc:
        err.print(f"[red]config error:[/] {escape(exc.message)}")
        sys.exit(exc.exit_code)
    except TutorloopError as exc:
        err.print(f"[red]error:[/] {escape(exc.message)}")
        sys.exit(getattr(exc, "exit_code", 1))
