"""A replay run: sessions × conditions through a model, streamed, resumable after kill -9.

Work is produced lazily from the input stream and at most ``in_flight`` sessions are replayed
at once, so memory does not grow with the input. Each finished replay is stored with its
done-mark in one transaction and written as a Study Mode artifact file; every answer a call
received is in the run's call ledger first, so a resumed run neither repeats a paid call nor
loses one (only calls in flight at the kill are made again).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import anyio
from pydantic import BaseModel, ConfigDict, Field

from tutorloop._sync import run_sync_coroutine
from tutorloop.errors import ConfigError, Problem, scrub
from tutorloop.generate import (
    CallContext,
    CallPolicy,
    CallStats,
    PersonaCard,
    ProviderSettings,
    ReplaySpec,
    item_key,
    load_overlay,
    load_persona,
    replay_session,
    split_model,
)
from tutorloop.load import Item, Skipped, iter_loaded
from tutorloop.records import Condition, Mode, ReplayArtifact, RunManifest, RunStatus, Session
from tutorloop.run.common import ProgressCallback, new_manifest, new_run_id
from tutorloop.run.config import RunConfig
from tutorloop.store import ArtifactOutcome, Store, atomic_write_text

_DEFAULT_CONDITIONS: list[Condition] = ["base", "overlay"]


class ReplayConfig(BaseModel):
    """What to replay: the model, the conditions, the mode, the overlay and the learners."""

    model_config = ConfigDict(extra="forbid")

    model: str = "sim/study"
    conditions: list[Condition] = Field(
        default_factory=lambda: list(_DEFAULT_CONDITIONS), min_length=1
    )
    mode: Mode = "teacher_forced"
    overlay_path: Path | None = None
    """The overlay text file; the bundled Study Mode overlay when absent."""
    personas: list[str] = Field(default_factory=list)
    """Simulated learners (bundled slugs or YAML files); ``free_running`` only."""
    learner_model: str = "sim/learner"
    max_turns: int = Field(default=6, ge=1)
    temperature: float | None = None
    max_output_tokens: int | None = Field(default=None, ge=1)
    out_dir: Path | None = None
    """Artifact files go here (default: ``artifacts/<run id>`` beside the store)."""


@dataclass
class ReplayReport:
    """What a replay run did."""

    manifest: RunManifest
    artifacts_dir: Path
    problems: list[Problem] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    replayed: int = 0
    errored: int = 0
    resumed: int = 0
    errors: list[str] = field(default_factory=list)
    stats: CallStats = field(default_factory=CallStats)


def replay_specs(config: ReplayConfig) -> list[ReplaySpec]:
    """One spec per condition (and persona), validated before any call is made."""
    if config.personas and config.mode != "free_running":
        raise ConfigError("simulated learners need --mode free_running", field="personas")
    overlay = load_overlay(config.overlay_path) if "overlay" in config.conditions else None
    personas: list[PersonaCard | None] = [load_persona(p) for p in config.personas] or [None]
    specs = []
    for condition in dict.fromkeys(config.conditions):
        for persona in personas if condition != "human" else [None]:
            specs.append(
                ReplaySpec(
                    model=config.model,
                    condition=condition,
                    mode=config.mode,
                    overlay=overlay,
                    persona=persona,
                    learner_model=config.learner_model,
                    max_turns=config.max_turns,
                    temperature=config.temperature,
                    max_output_tokens=config.max_output_tokens,
                )
            )
    return specs


def replay_paths(
    paths: Sequence[str | Path],
    config: ReplayConfig,
    policy: CallPolicy | None = None,
    settings: ProviderSettings | None = None,
    options: RunConfig | None = None,
    progress: ProgressCallback | None = None,
) -> ReplayReport:
    """Replay every session in ``paths`` under every condition (sync façade)."""
    return run_sync_coroutine(
        replay_paths_async, paths, config, policy, settings, options, progress
    )


async def replay_paths_async(
    paths: Sequence[str | Path],
    config: ReplayConfig,
    policy: CallPolicy | None = None,
    settings: ProviderSettings | None = None,
    options: RunConfig | None = None,
    progress: ProgressCallback | None = None,
) -> ReplayReport:
    """Replay every session in ``paths`` under every condition, into the store."""
    options = options or RunConfig()
    policy = policy or CallPolicy()
    specs = replay_specs(config)
    run_id = options.run_id or new_run_id()
    with Store.open(options.store_path) as store:
        ledger = store.path.parent / "calls.db"
        async with CallContext(policy, settings, ledger_path=ledger, run_id=run_id) as context:
            for spec in specs:  # fail at start (a bad name, no key), not once per item
                if spec.condition != "human":
                    context.provider(split_model(spec.model)[0])
                if spec.persona is not None:
                    context.provider(split_model(spec.learner_model)[0])
            manifest = store.start_run(_manifest(run_id, paths, config, policy, specs))
            out_dir = config.out_dir or store.path.parent / "artifacts" / run_id
            report = ReplayReport(manifest=manifest, artifacts_dir=out_dir)
            done = store.artifact_keys(run_id)
            await _replay_stream(paths, specs, context, store, done, report, progress)
            report.stats = context.stats
        counts = store.count_artifacts(run_id)
        finished = datetime.now(UTC).isoformat(timespec="seconds")
        status: RunStatus = "completed" if not report.problems else "failed"
        store.finish_run(run_id, status, counts, finished)
        manifest = store.get_run(run_id)
        manifest.cost_usd = round(report.stats.cost_usd, 8)
        store.update_manifest(manifest)
        report.manifest = manifest
    return report


def _manifest(
    run_id: str,
    paths: Sequence[str | Path],
    config: ReplayConfig,
    policy: CallPolicy,
    specs: list[ReplaySpec],
) -> RunManifest:
    overlay_sha256 = next((s.overlay.sha256 for s in specs if s.overlay), None)
    settings = {
        "replay": config.model_dump(mode="json"),
        "policy": policy.model_dump(mode="json"),
        "overlay_sha256": overlay_sha256,
    }
    return new_manifest(run_id, "replay", paths, settings)


async def _replay_stream(
    paths: Sequence[str | Path],
    specs: list[ReplaySpec],
    context: CallContext,
    store: Store,
    done: set[str],
    report: ReplayReport,
    progress: ProgressCallback | None,
) -> None:
    in_flight = anyio.Semaphore(max(2, context.policy.concurrency * 2))
    run_id = report.manifest.run_id

    async def one(session: Session, origin: str, spec: ReplaySpec, key: str) -> None:
        try:
            try:
                artifact = await replay_session(session, spec, context)
                outcome = artifact_outcome(key, session, spec, origin, artifact=artifact)
            except Exception as exc:
                outcome = artifact_outcome(key, session, spec, origin, error=exc)
            if not store.write_artifact(run_id, outcome):
                report.problems.append(
                    Problem(origin, f"duplicate session '{key}'; stored once", field="session_id")
                )
            elif outcome.artifact is not None:
                report.replayed += 1
                _write_file(report.artifacts_dir, key, outcome)
            else:
                report.errored += 1
                report.errors.append(f"{key}: {outcome.error_message}")
            if progress:
                progress(1, cost_usd=context.stats.cost_usd)
        finally:
            in_flight.release()

    async with anyio.create_task_group() as group:
        for entry in iter_loaded(paths):
            if isinstance(entry, Skipped):
                report.skipped.append(entry)
                continue
            if isinstance(entry, Problem):
                report.problems.append(entry)
                continue
            session = session_of(entry)
            for spec in specs:
                key = item_key(session.session_id, spec)
                if key in done:
                    report.resumed += 1
                    if progress:
                        progress(1)
                    continue
                await in_flight.acquire()
                group.start_soon(one, session, entry.origin, spec, key)


def session_of(item: Item) -> Session:
    """The session to replay for a loaded item (an artifact's logged trajectory)."""
    if isinstance(item.record, Session):
        return item.record
    # an artifact as input: replay its original, logged trajectory
    return Session(
        session_id=item.session_id, domain=item.domain, trajectory=item.record.original_trajectory
    )


def artifact_outcome(
    key: str,
    session: Session,
    spec: ReplaySpec,
    origin: str,
    *,
    artifact: ReplayArtifact | None = None,
    error: BaseException | None = None,
) -> ArtifactOutcome:
    """What the store keeps of one replay: its artifact, or its (scrubbed) error."""
    return ArtifactOutcome(
        item_key=key,
        session_id=session.session_id,
        condition=spec.condition,
        model="human" if spec.condition == "human" else spec.model,
        mode=spec.mode,
        persona=spec.persona.slug if spec.persona else None,
        source=origin,
        artifact=artifact,
        error_type=type(error).__name__ if error is not None else None,
        error_message=scrub(str(error)) if error is not None else None,
    )


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _write_file(out_dir: Path, key: str, outcome: ArtifactOutcome) -> None:
    """``<out>/<session_id>.<condition>[.<model>][.<persona>].json``, written atomically."""
    assert outcome.artifact is not None
    name = ".".join(_UNSAFE.sub("-", part) for part in key.split("|")) + ".json"
    # the store already holds the artifact durably: the file copy skips the fsyncs
    text = outcome.artifact.model_dump_json(indent=2) + "\n"
    atomic_write_text(out_dir / name, text, durable=False)
