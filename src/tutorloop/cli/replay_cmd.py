"""``tutorloop replay``: sessions through a model under conditions, into the store."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, cast

import typer
from rich.console import Console

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
from tutorloop.cli.common import LogFormatOpt
from tutorloop.cli.project_options import (
    KeyEnv,
    LearnerBaseUrl,
    LearnerKeyEnv,
    TutorBaseUrl,
    TutorKeyEnv,
    call_policy,
    default_settings,
    project_config,
)
from tutorloop.errors import ConfigError
from tutorloop.load import estimate_records
from tutorloop.present import progress_bar
from tutorloop.records import Condition
from tutorloop.run import ReplayConfig, ReplayReport, RunConfig, errors_exceed, replay_paths

CONDITIONS: tuple[Condition, ...] = ("human", "base", "overlay")


def _conditions(text: str) -> list[Condition]:
    chosen = [c.strip() for c in text.split(",") if c.strip()]
    bad = [c for c in chosen if c not in CONDITIONS]
    if bad or not chosen:
        unknown = ", ".join(bad) or "(none)"
        raise ConfigError(
            f"unknown condition(s) {unknown}; choose from {', '.join(CONDITIONS)}",
            field="--condition",
        )
    return [cast(Condition, c) for c in chosen]


def parse_fail_on_error(text: str) -> int | float:
    """``3`` allows three errored items; ``0.1`` allows 10 % of them; ``0`` allows none."""
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(
            f"'{text}' is not a number: give a count (3) or a fraction (0.1)",
            field="--fail-on-error",
        ) from None
    if value < 0 or (value >= 1 and not value.is_integer()):
        raise ConfigError("give a whole count ≥ 0 or a fraction in [0, 1)", field="--fail-on-error")
    return int(value) if value.is_integer() else value


def register(app: typer.Typer, console: Console, err: Console) -> None:
    """Add the ``replay`` command to ``app``."""

    @app.command()
    def replay(
        ctx: typer.Context,
        paths: Annotated[
            list[Path] | None,
            typer.Argument(help="Session files, folders or JSONL (default: paths.sessions)."),
        ] = None,
        model: Annotated[
            str | None,
            typer.Option(
                "--model",
                help="The tutor: provider/model, e.g. openai/gpt-4.1-mini [default: sim/study].",
            ),
        ] = None,
        condition: Annotated[
            str | None,
            typer.Option("--condition", help="Comma-separated: human, base, overlay."),
        ] = None,
        mode: Annotated[
            str | None, typer.Option("--mode", help="teacher_forced (as logged) or free_running.")
        ] = None,
        overlay: Annotated[
            Path | None, typer.Option("--overlay", help="Overlay text (default: bundled).")
        ] = None,
        persona: Annotated[
            str | None,
            typer.Option("--persona", help="Comma-separated learner personas (free_running)."),
        ] = None,
        learner_model: Annotated[
            str | None,
            typer.Option("--learner-model", help="Who plays the learner [default: sim/learner]."),
        ] = None,
        max_turns: Annotated[int | None, typer.Option("--max-turns", help="Learner turns.")] = None,
        concurrency: Concurrency = None,
        rps: Rps = None,
        timeout: Timeout = None,
        max_retries: MaxRetries = None,
        base_url: BaseUrl = None,
        api: Api = None,
        key_env: KeyEnv = None,
        tutor_base_url: TutorBaseUrl = None,
        tutor_key_env: TutorKeyEnv = None,
        learner_base_url: LearnerBaseUrl = None,
        learner_key_env: LearnerKeyEnv = None,
        cache: Cache = None,
        cache_scope: CacheScope = None,
        prices: Prices = None,
        run_id: Annotated[str | None, typer.Option("--run-id", help="Reuse to resume.")] = None,
        out: Annotated[Path | None, typer.Option("--out", help="Artifact files here.")] = None,
        store: Annotated[Path | None, typer.Option("--store", help="SQLite store file.")] = None,
        fail_on_error: Annotated[
            str | None,
            typer.Option("--fail-on-error", help="Errors allowed: count (3) or fraction (0.1)."),
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
        fmt: LogFormatOpt = None,
        engine: ray_cmd.Engine = "local",
        ray_address: ray_cmd.RayAddress = None,
        ray_actors: ray_cmd.RayActors = 2,
    ) -> None:
        """Replay sessions through a model (base, overlay) beside the logged tutor (human)."""
        if mode is not None and mode not in ("teacher_forced", "free_running"):
            raise ConfigError("choose teacher_forced or free_running", field="--mode")
        flags = {
            **call_flags(
                concurrency=concurrency, rps=rps, timeout=timeout, max_retries=max_retries,
                cache=cache, prices=prices, cache_scope=cache_scope,
            ),
            "endpoints.tutor.model": model,
            "endpoints.tutor.base_url": tutor_base_url,
            "endpoints.tutor.key_env": tutor_key_env,
            "endpoints.learner.model": learner_model,
            "endpoints.learner.base_url": learner_base_url,
            "endpoints.learner.key_env": learner_key_env,
            "replay.conditions": _conditions(condition) if condition is not None else None,
            "replay.mode": mode,
            "replay.overlay": overlay,
            "replay.personas": _personas(persona),
            "replay.max_turns": max_turns,
            "thresholds.fail_on_error": (
                parse_fail_on_error(fail_on_error) if fail_on_error is not None else None
            ),
            "paths.artifacts": out,
            "paths.store": store,
        }  # fmt: skip
        project = project_config(ctx, flags)
        paths = paths or project.paths.sessions
        if not paths:
            raise ConfigError(
                "name the sessions to replay: tutorloop replay PATH..., or paths.sessions in "
                "tutorloop.yaml",
                field="PATHS",
            )
        allowed = parse_fail_on_error(f"{project.thresholds.fail_on_error:g}")
        section = project.replay
        config = ReplayConfig(
            model=project.model_of("tutor") or "sim/study",
            conditions=section.conditions,
            mode=section.mode,
            overlay_path=section.overlay,
            personas=section.personas,
            learner_model=project.model_of("learner") or "sim/learner",
            max_turns=section.max_turns,
            out_dir=project.paths.artifacts,
            endpoints={r: e for r, e in project.endpoints.items() if r in ("tutor", "learner")},
            input_format=fmt,
        )
        policy = call_policy(project)
        settings = default_settings(base_url, api, key_env)
        total = estimate_records(paths) * max(
            1, len(config.conditions) * max(1, len(config.personas))
        )
        options = RunConfig(run_id=run_id, store_path=project.paths.store)
        if ray_cmd.use_ray(engine):
            ray_cmd.refuse_log_format(fmt)
            if any(e.routes for e in config.endpoints.values()):
                raise ConfigError(
                    "per-role endpoints are not available with --engine ray: give the tutor "
                    "and learner the default endpoint (--base-url), or use --engine local",
                    field="endpoints",
                )
            report = ray_cmd.replay_on_ray(
                paths, config, policy, settings, options, ray_address, ray_actors
            )
        else:
            with progress_bar(err if as_json else console, total, "replaying") as advance:
                report = replay_paths(paths, config, policy, settings, options, progress=advance)
        if as_json:
            sys.stdout.write(json.dumps(_report_json(report), indent=2) + "\n")
        else:
            _print_report(console, report)
        attempted = report.replayed + report.errored
        if report.problems or errors_exceed(report.errored, attempted, allowed):
            raise typer.Exit(1)


def _personas(text: str | None) -> list[str] | None:
    if text is None:
        return None
    return [p.strip() for p in text.split(",") if p.strip()]


def _report_json(report: ReplayReport) -> dict[str, object]:
    stats = report.stats
    return {
        "run": report.manifest.model_dump(mode="json"),
        "artifacts_dir": str(report.artifacts_dir),
        "replayed": report.replayed,
        "errored": report.errored,
        "resumed": report.resumed,
        "errors": report.errors,
        "problems": [str(p) for p in report.problems],
        "calls": {
            "paid": stats.calls,
            "attempts": stats.attempts,
            "retries": stats.retries,
            "resumed": stats.resumed,
            "cached": stats.cached,
            "input_tokens": stats.input_tokens,
            "output_tokens": stats.output_tokens,
            "cost_usd": round(stats.cost_usd, 8),
            "unpriced_models": sorted(stats.unpriced),
        },
    }


def _print_report(console: Console, report: ReplayReport) -> None:
    stats = report.stats
    run_id = report.manifest.run_id
    if report.resumed:
        console.print(f"resumed: {report.resumed} replay(s) were already stored in this run")
    console.print(
        f"[bold]{report.replayed}[/] replayed · errored {report.errored} · "
        f"calls {stats.calls} (retries {stats.retries}, reused {stats.resumed + stats.cached}) · "
        f"tokens {stats.input_tokens} in / {stats.output_tokens} out · "
        f"cost ${stats.cost_usd:.4f}"
        + (f" (price unknown: {', '.join(sorted(stats.unpriced))})" if stats.unpriced else "")
    )
    for line in report.errors[:20]:
        console.print(f"  [red]error[/] {line}", highlight=False)
    for problem in report.problems:
        console.print(f"  [red]input[/] {problem}", highlight=False)
    console.print(f"[bold]artifacts[/] {report.artifacts_dir}")
    console.print(f"next: [bold]tutorloop grade {run_id}[/] grades every condition of this run")
