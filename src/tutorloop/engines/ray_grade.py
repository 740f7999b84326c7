"""Grading on Ray Data: the local engine's :class:`SessionGrader`, mapped over input shards.

Each actor of a fixed pool builds one :class:`SessionGrader` (the heuristics and the decision,
exactly as the local engine runs them) and turns batches of raw records into result rows; Ray
Data writes the rows as Parquet beside the run manifest, and :func:`import_results` stores them.
Nothing here grades: a second implementation of a grader cannot creep in.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tutorloop._sync import run_sync_coroutine
from tutorloop.engines._cluster import RayOptions, configure_data, ray_cluster
from tutorloop.engines._sources import parse_rows, read_inputs
from tutorloop.engines.budget import split_budget
from tutorloop.engines.import_results import RESULTS, import_results
from tutorloop.engines.ray_models import ModelGradeBatch, OutcomeRows, Secret
from tutorloop.engines.results import problem_row, rows_table
from tutorloop.errors import Problem
from tutorloop.generate import CallContext
from tutorloop.records import RunManifest
from tutorloop.run import (
    GradeConfig,
    ModelAccess,
    ModelGrading,
    RunConfig,
    RunReport,
    SessionGrader,
    new_manifest,
    new_run_id,
    prepare_models,
    run_sync,
)
from tutorloop.store import Store, default_store_path, write_manifest


class GradeBatch:
    """A Ray Data callable class: one grader per actor, built once; a batch in, result rows out."""

    def __init__(self, config_json: str, run_id: str) -> None:
        self.grader = SessionGrader(GradeConfig.model_validate_json(config_json))
        self.run_id = run_id

    def __call__(self, batch: Any) -> Any:
        """Grade every record of ``batch``; an unreadable record becomes a problem row."""
        sink = OutcomeRows(with_grades=False)
        run_sync(parse_rows(batch), lambda item: self.grader.outcome(self.run_id, item), sink)
        return rows_table(sink.rows)


def results_dir(run_id: str, options: RunConfig) -> Path:
    """Where a Ray run writes by default: ``ray/<run id>`` beside the store."""
    store = options.store_path or default_store_path()
    return Path(store).parent / "ray" / run_id


def ray_grade_paths(
    paths: Sequence[str | Path],
    config: GradeConfig | None = None,
    options: RunConfig | None = None,
    ray_options: RayOptions | None = None,
    out_dir: Path | None = None,
    models: ModelGrading | None = None,
    access: ModelAccess | None = None,
) -> RunReport:
    """Grade every session in ``paths`` on Ray, write Parquet results, and import them.

    With ``models`` (graders, a judge), the actors are async and share the call budget of
    ``access`` as replay's do.
    """
    config = config or GradeConfig()
    options = options or RunConfig()
    ray_options = ray_options or RayOptions()
    run_id = options.run_id or new_run_id()
    options = options.model_copy(update={"run_id": run_id})
    out = out_dir or results_dir(run_id, options)
    grader = SessionGrader(config)
    settings: dict[str, object] = {
        "grade": config.model_dump(mode="json"),
        "grader_version": grader.heuristics.version,
        "engine": "ray",
        "results_dir": str(out),
    }
    actors = ray_options.actors
    udf: type[GradeBatch] | type[ModelGradeBatch] = GradeBatch
    args: tuple[object, ...] = (config.model_dump_json(), run_id)
    if models is not None and models.active:
        access = access or ModelAccess()
        budget = split_budget(access.policy, actors)
        actors = budget.actors
        settings["models"] = models.model_dump(mode="json")
        settings["actors"] = actors
        ledger = _ledger_path(access, options)
        _check_models(models, access)
        key = Secret(os.environ.get(access.settings.api_key_env))
        udf = ModelGradeBatch
        args = (config.model_dump_json(), models, budget.per_actor, access.settings, run_id,
                str(ledger), key)  # fmt: skip
    manifest = new_manifest(run_id, "grade", paths, settings)
    with ray_cluster(ray_options) as ray:
        configure_data(ray, ray_options)
        dataset, problems = read_inputs(ray, paths)
        graded = dataset.map_batches(
            udf,
            fn_constructor_args=args,
            batch_size=ray_options.batch_size,
            batch_format="pyarrow",
            compute=ray.data.ActorPoolStrategy(size=actors),
            num_cpus=ray_options.cpus_per_actor,
        )
        write_results(graded, out, problems)
    finish_manifest(manifest, out)
    return import_results(out, options.store_path, options)


def _ledger_path(access: ModelAccess, options: RunConfig) -> Path:
    if access.policy.cache_path is not None:
        return access.policy.cache_path.resolve()
    with Store.open(options.store_path) as store:
        return (store.path.parent / "calls.db").resolve()


def _check_models(models: ModelGrading, access: ModelAccess) -> None:
    """Fail at the start (no judge, a bad graders file, no key), not once per row."""

    async def check() -> None:
        async with CallContext(access.policy, access.settings) as context:
            prepare_models(models, context)

    run_sync_coroutine(check)


def write_results(dataset: Any, out: Path, problems: list[Problem]) -> None:
    """Write ``dataset``'s result rows (and the driver's problems) to ``out/results``."""
    import pyarrow.parquet as pq

    folder = out / RESULTS
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    dataset.write_parquet(str(folder), min_rows_per_file=5_000)
    if problems:
        pq.write_table(rows_table(problem_row(p) for p in problems), folder / "~inputs.parquet")


def finish_manifest(manifest: RunManifest, out: Path, cost_usd: float = 0.0) -> None:
    """Write the run's manifest beside its results, stamped with the time it finished."""
    finished = datetime.now(UTC).isoformat(timespec="seconds")
    done = manifest.model_copy(update={"finished_at": finished, "cost_usd": cost_usd})
    write_manifest(done, out)
