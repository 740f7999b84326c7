"""``--engine ray`` options, and ``tutorloop import-results``: Ray runs' Parquet into the store."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from tutorloop.errors import ConfigError, UserError
from tutorloop.generate import CallPolicy, ProviderSettings
from tutorloop.run import (
    GradeConfig,
    ModelAccess,
    ModelGrading,
    ReplayConfig,
    ReplayReport,
    RunConfig,
    RunReport,
)
from tutorloop.store import Store

Engine = Annotated[
    str,
    typer.Option(
        "--engine", help="local (this process) or ray (Ray Data; pip install 'tutorloop\\[ray]')."
    ),
]
RayAddress = Annotated[
    str | None,
    typer.Option(
        "--ray-address", help="Ray cluster to run on (default: $RAY_ADDRESS, else a local one)."
    ),
]
RayActors = Annotated[
    int, typer.Option("--ray-actors", help="Ray workers (the call limits are split across them).")
]


def use_ray(engine: str) -> bool:
    """Whether ``--engine`` asks for Ray; any other value than local or ray is an error."""
    if engine not in ("local", "ray"):
        raise ConfigError("choose local or ray", field="--engine")
    return engine == "ray"


def ray_options(address: str | None, actors: int) -> Any:
    """The :class:`~tutorloop.engines.RayOptions` of the command line (Ray imported lazily)."""
    from tutorloop.engines import RayOptions

    if actors < 1:
        raise ConfigError("give at least 1", field="--ray-actors")
    return RayOptions(address=address, actors=actors)


def grade_on_ray(
    paths: list[Path],
    config: GradeConfig,
    options: RunConfig,
    models: ModelGrading,
    access: ModelAccess,
    address: str | None,
    actors: int,
) -> RunReport:
    """``tutorloop grade --engine ray``: the local engine's grading, mapped on Ray Data."""
    from tutorloop.engines import ray_grade_paths, require_ray

    missing = [p for p in paths if not p.exists()]
    if len(paths) == 1 and missing:
        raise UserError(
            f"{paths[0]}: --engine ray grades files and folders; a stored run is graded on the "
            "local engine (drop --engine ray)"
        )
    require_ray()
    return ray_grade_paths(
        paths, config, options, ray_options(address, actors), models=models, access=access
    )


def replay_on_ray(
    paths: list[Path],
    config: ReplayConfig,
    policy: CallPolicy,
    settings: ProviderSettings,
    options: RunConfig,
    address: str | None,
    actors: int,
) -> ReplayReport:
    """``tutorloop replay --engine ray``: replays in a pool of async actors sharing one budget."""
    from tutorloop.engines import ray_replay_paths, require_ray

    require_ray()
    return ray_replay_paths(paths, config, policy, settings, options, ray_options(address, actors))


def register(app: typer.Typer, console: Console, err: Console) -> None:
    """Add the ``import-results`` command to ``app``."""

    @app.command("import-results")
    def import_results_cmd(
        folder: Annotated[Path, typer.Argument(help="Results folder of a '--engine ray' run.")],
        store: Annotated[Path | None, typer.Option("--store", help="SQLite store file.")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    ) -> None:
        """Store a Ray run's Parquet results (again: rows already stored are kept, not doubled)."""
        from tutorloop.engines import import_results

        report = import_results(folder, store)
        manifest = report.manifest
        if as_json:
            data = {
                "run": manifest.model_dump(mode="json"),
                "added": report.new_items,
                "already_stored": report.resumed_items,
                "problems": [str(p) for p in report.problems],
            }
            sys.stdout.write(json.dumps(data, indent=2) + "\n")
        else:
            with Store.open(store) as opened:
                where = opened.path
            console.print(
                f"run [bold]{manifest.run_id}[/] ({manifest.kind}): {report.new_items} added, "
                f"{report.resumed_items} already stored, {len(report.problems)} input problem(s) "
                f"→ {where}"
            )
        if report.problems:
            raise typer.Exit(1)


def refuse_log_format(fmt: str | None) -> None:
    """Refuse ``--format`` on Ray: its workers read tutorloop's own session files only."""
    if fmt is not None:
        raise ConfigError(
            "--engine ray reads tutorloop session files only: convert the logs first with "
            "'tutorloop import LOGS --to sessions.jsonl', then run on the converted file",
            field="--format",
        )
