"""A replay run: sessions × conditions through a model, streamed, resumable after kill -9.

A replay run is the run engine (:mod:`tutorloop.run.engine`): its source is sessions × specs,
produced lazily from the input stream (:func:`replay_work`), its worker :func:`replay_worker`
and its sink :class:`StoredArtifacts`. At most ``max_in_flight`` replays run at once, so memory
does not grow with the input. Each finished replay is stored with its done-mark in one
transaction and written as a Study Mode artifact file; every answer a call received is in the
run's call ledger first, so a resumed run neither repeats a paid call nor loses one (only calls
in flight at the kill are made again).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from tutorloop._sync import run_sync_coroutine
from tutorloop.errors import ConfigError, Problem, scrub
from tutorloop.generate import (
    CallContext,
    CallPolicy,
    CallStats,
    Endpoint,
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
from tutorloop.run.common import new_manifest, new_run_id
from tutorloop.run.config import RunConfig
from tutorloop.run.engine import Progress, run_async
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
    endpoints: dict[str, Endpoint] = Field(default_factory=dict)
    """Where the ``tutor`` and ``learner`` roles call their models, when not where the run's
    default provider settings say (key variable names only, never keys)."""
    input_format: str | None = None
    """Read every input file as this log format (``openai-chat``, ``langfuse``, ...; see
    ``tutorloop import``); None: each file's format is detected from its first records."""


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
    progress: Progress | None = None,
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
    progress: Progress | None = None,
) -> ReplayReport:
    """Replay every session in ``paths`` under every condition, into the store."""
    options = options or RunConfig()
    policy = policy or CallPolicy()
    specs = replay_specs(config)
    run_id = options.run_id or new_run_id()
    with Store.open(options.store_path) as store:
        ledger = store.path.parent / "calls.db"
        async with CallContext(
            policy, settings, ledger_path=ledger, run_id=run_id, endpoints=config.endpoints
        ) as context:
            for spec in specs:  # fail at start (a bad name, no key), not once per item
                if spec.condition != "human":
                    context.provider(split_model(spec.model)[0], "tutor")
                if spec.persona is not None:
                    context.provider(split_model(spec.learner_model)[0], "learner")
            manifest = store.start_run(_manifest(run_id, paths, config, policy, specs))
            out_dir = config.out_dir or store.path.parent / "artifacts" / run_id
            report = ReplayReport(manifest=manifest, artifacts_dir=out_dir)
            sink = StoredArtifacts(store, report)

            def told(done: int, /, total: int | None = None, cost_usd: float | None = None) -> None:
                if progress:
                    progress(done, total=total, cost_usd=context.stats.cost_usd)

            work = replay_work(iter_loaded(paths, fmt=config.input_format), specs)
            engine = await run_async(
                work, replay_worker(context), sink, options, told, concurrency=policy.concurrency
            )
            report.resumed = engine.resumed
            report.stats = context.stats
        counts = store.count_artifacts(run_id)
        finished = datetime.now(UTC).isoformat(timespec="seconds")
        status: RunStatus = "completed" if not report.problems else "failed"
        store.finish_run(run_id, status, counts, finished)
        manifest = store.get_run(run_id)
        manifest.cost_usd = round(report.stats.cost_usd, 8)
        manifest.unpriced_models = sorted(set(manifest.unpriced_models) | report.stats.unpriced)
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


@dataclass(frozen=True)
class ReplayWork:
    """One replay to make: a session under one spec, with its key and where it came from."""

    session: Session
    origin: str
    spec: ReplaySpec
    key: str


def replay_work(
    entries: Iterable[Item | Skipped | Problem], specs: list[ReplaySpec]
) -> Iterator[ReplayWork | Skipped | Problem]:
    """Every loaded session under every spec, lazily; problems and skipped files pass through."""
    for entry in entries:
        if isinstance(entry, Skipped | Problem):
            yield entry
            continue
        session = session_of(entry)
        for spec in specs:
            yield ReplayWork(session, entry.origin, spec, item_key(session.session_id, spec))


def replay_worker(context: CallContext) -> Callable[[ReplayWork], Awaitable[ArtifactOutcome]]:
    """The worker that replays one session under one spec through ``context``."""

    async def work(todo: ReplayWork) -> ArtifactOutcome:
        artifact = await replay_session(todo.session, todo.spec, context)
        return artifact_outcome(todo.key, todo.session, todo.spec, todo.origin, artifact=artifact)

    return work


def replay_failed(todo: ReplayWork, error: BaseException) -> ArtifactOutcome:
    """The outcome recording that replaying ``todo`` raised ``error``."""
    return artifact_outcome(todo.key, todo.session, todo.spec, todo.origin, error=error)


class StoredArtifacts:
    """The engine's sink for a replay run: artifacts and done-marks into the store, and files."""

    def __init__(self, store: Store, report: ReplayReport) -> None:
        self.store = store
        self.report = report
        self.run_id = report.manifest.run_id
        self.done = store.artifact_keys(self.run_id)

    def is_done(self, key: str) -> bool:
        """Whether ``key`` is stored in this run."""
        return key in self.done

    def failed(self, work: ReplayWork, error: BaseException) -> ArtifactOutcome:
        """The errored outcome of ``work``."""
        return replay_failed(work, error)

    def is_error(self, result: ArtifactOutcome) -> bool:
        """Whether the replay failed."""
        return result.artifact is None

    def note(self, entry: Skipped | Problem) -> None:
        """File a problem or a skipped file in the report."""
        if isinstance(entry, Skipped):
            self.report.skipped.append(entry)
        else:
            self.report.problems.append(entry)

    def write(self, results: list[ArtifactOutcome]) -> None:
        """Store each replay with its done-mark; write its artifact file; count it."""
        report = self.report
        stored = self.store.write_artifacts(self.run_id, results)
        for outcome, new in zip(results, stored, strict=True):
            if not new:
                report.problems.append(
                    Problem(
                        outcome.source or "?",
                        f"duplicate session '{outcome.item_key}'; stored once",
                        field="session_id",
                    )
                )
            elif outcome.artifact is not None:
                report.replayed += 1
                _write_file(report.artifacts_dir, outcome.item_key, outcome)
            else:
                report.errored += 1
                report.errors.append(f"{outcome.item_key}: {outcome.error_message}")


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
