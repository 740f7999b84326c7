"""Replay on Ray Data: the local :func:`replay_session` in a fixed pool of async actors.

Each actor holds one :class:`~tutorloop.generate.CallContext` for the whole run: its share of the
cluster-wide budget (:mod:`.budget`), the Model wrapper's retries honouring Retry-After, and the
run's call ledger (``calls.db`` beside the store). The ledger is checked before and written after
every paid call, keyed by the request's fingerprint, so a run killed with kill -9 and started
again with the same run id repeats at most the calls that were in flight.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tutorloop._sync import run_sync_coroutine
from tutorloop.engines._cluster import RayOptions, configure_data, ray_cluster, require_ray
from tutorloop.engines._sources import parse_rows, read_inputs
from tutorloop.engines.budget import split_budget
from tutorloop.engines.import_results import import_results
from tutorloop.engines.ray_grade import finish_manifest, results_dir, write_results
from tutorloop.engines.ray_models import Secret
from tutorloop.engines.results import Row, artifact_row, problem_row, rows_table, skipped_row
from tutorloop.errors import Problem
from tutorloop.generate import (
    CallContext,
    CallPolicy,
    CallStats,
    ProviderSettings,
    ReplaySpec,
    create_provider,
    split_model,
)
from tutorloop.load import Skipped
from tutorloop.run import (
    ReplayConfig,
    ReplayReport,
    ReplayWork,
    RunConfig,
    new_manifest,
    new_run_id,
    replay_failed,
    replay_specs,
    replay_work,
    replay_worker,
    run_async,
)
from tutorloop.store import ArtifactOutcome, Store


class ReplayBatch:
    """A Ray Data async callable class: one call context per actor, built once."""

    def __init__(
        self,
        specs: list[ReplaySpec],
        policy: CallPolicy,
        settings: ProviderSettings,
        run_id: str,
        ledger: str,
        done: frozenset[str],
        key: Secret,
    ) -> None:
        key.export(settings.api_key_env)
        self.specs = specs
        self.done = done
        self.context = CallContext(policy, settings, ledger_path=Path(ledger), run_id=run_id)

    async def __call__(self, batch: Any) -> Any:
        """Replay every session of ``batch`` under every spec on the run engine, in budget."""
        sink = _ArtifactRows(self.done)
        work = replay_work(parse_rows(batch), self.specs)
        concurrency = self.context.policy.concurrency
        await run_async(work, replay_worker(self.context), sink, concurrency=concurrency)
        return rows_table(sink.rows)


class _ArtifactRows:
    """The engine's sink on a Ray worker: artifact rows for Parquet instead of the store."""

    def __init__(self, done: frozenset[str]) -> None:
        self.done = done
        self.rows: list[Row] = []

    def is_done(self, key: str) -> bool:
        return key in self.done

    def failed(self, work: ReplayWork, error: BaseException) -> ArtifactOutcome:
        return replay_failed(work, error)  # a bad row never kills the job: it is an error row

    def is_error(self, result: ArtifactOutcome) -> bool:
        return result.artifact is None

    def note(self, entry: Skipped | Problem) -> None:
        self.rows.append(skipped_row(entry) if isinstance(entry, Skipped) else problem_row(entry))

    def write(self, results: list[ArtifactOutcome]) -> None:
        self.rows.extend(artifact_row(outcome) for outcome in results)


def ray_replay_paths(
    paths: Sequence[str | Path],
    config: ReplayConfig,
    policy: CallPolicy | None = None,
    settings: ProviderSettings | None = None,
    options: RunConfig | None = None,
    ray_options: RayOptions | None = None,
    out_dir: Path | None = None,
) -> ReplayReport:
    """Replay every session in ``paths`` on Ray within one cluster-wide budget; import results."""
    policy = policy or CallPolicy()
    settings = settings or ProviderSettings()
    options = options or RunConfig()
    ray_options = ray_options or RayOptions()
    run_id = options.run_id or new_run_id()
    options = options.model_copy(update={"run_id": run_id})
    specs = replay_specs(config)
    _check_providers(specs, policy, settings)
    budget = split_budget(policy, ray_options.actors)
    out = out_dir or results_dir(run_id, options)
    with Store.open(options.store_path) as store:
        done = frozenset(store.artifact_keys(run_id))
        ledger = policy.cache_path or store.path.parent / "calls.db"
    manifest = new_manifest(
        run_id,
        "replay",
        paths,
        {
            "replay": config.model_dump(mode="json"),
            "policy": policy.model_dump(mode="json"),
            "overlay_sha256": next((s.overlay.sha256 for s in specs if s.overlay), None),
            "engine": "ray",
            "actors": budget.actors,
            "per_actor": {"concurrency": budget.per_actor.concurrency, "rps": budget.per_actor.rps},
            "results_dir": str(out),
        },
    )
    key = Secret(os.environ.get(settings.api_key_env))
    require_ray()
    with ray_cluster(ray_options) as ray:
        configure_data(ray, ray_options)
        dataset, problems = read_inputs(ray, paths)
        replayed = dataset.map_batches(
            ReplayBatch,
            fn_constructor_args=(
                specs,
                budget.per_actor,
                settings,
                run_id,
                str(ledger.resolve()),
                done,
                key,
            ),
            batch_size=ray_options.batch_size,
            batch_format="pyarrow",
            compute=ray.data.ActorPoolStrategy(size=budget.actors),
            num_cpus=ray_options.cpus_per_actor,
        )
        write_results(replayed, out, problems)
    finish_manifest(manifest, out)
    imported = import_results(out, options.store_path, options)
    return _report(imported.manifest.run_id, out, options, imported)


def _check_providers(
    specs: list[ReplaySpec], policy: CallPolicy, settings: ProviderSettings
) -> None:
    """Fail at the start (a bad model name, no key), not once per row on the workers."""
    names = {split_model(s.model)[0] for s in specs if s.condition != "human"}
    names |= {split_model(s.learner_model)[0] for s in specs if s.persona is not None}

    async def check() -> None:
        for name in sorted(names):
            await create_provider(name, settings, policy.timeout_s).aclose()

    run_sync_coroutine(check)


def _report(run_id: str, out: Path, options: RunConfig, imported: Any) -> ReplayReport:
    stats = CallStats()
    report = ReplayReport(
        manifest=imported.manifest,
        artifacts_dir=out,
        problems=imported.problems,
        skipped=imported.skipped,
        resumed=imported.resumed_items,
        stats=stats,
    )
    with Store.open(options.store_path) as store:
        for stored in store.iter_artifacts(run_id):
            artifact = stored.artifact
            if artifact is None:
                report.errored += 1
                report.errors.append(f"{stored.item_key}: {stored.error_message}")
                continue
            report.replayed += 1
            meta = artifact.regeneration_meta
            if meta.usage is not None:
                stats.calls += meta.usage.calls
                stats.input_tokens += meta.usage.input_tokens
                stats.output_tokens += meta.usage.output_tokens
            stats.cost_usd += meta.cost_usd or 0.0
        manifest = store.get_run(run_id)
        manifest.cost_usd = round(stats.cost_usd, 8)
        store.update_manifest(manifest)
        report.manifest = manifest
    return report
