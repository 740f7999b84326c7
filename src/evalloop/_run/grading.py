"""A grading run: load → grade → decide → store, streaming, resumable after kill -9.

Items are graded one at a time and written in batches; each batch's results and done-marks go
into the store in one transaction, so a killed run loses at most the batch in flight, and a
rerun with the same run id grades exactly the items that are not stored yet.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from .._version import __version__
from ..decide import DecideConfig, decide
from ..errors import Problem, scrub
from ..grade import HeuristicConfig, StudyModeHeuristics
from ..load import Item, Skipped, inputs_sha256, iter_loaded
from ..records import EvalResult, Grade, GraderError, RunManifest, RunStatus
from ..store import ItemOutcome, Store

ProgressCallback = Callable[[int], None]


class GradeConfig(BaseModel):
    """Everything that decides how sessions are graded."""

    model_config = ConfigDict(extra="forbid")

    heuristics: HeuristicConfig = Field(default_factory=HeuristicConfig)
    decide: DecideConfig = Field(default_factory=DecideConfig)


class RunOptions(BaseModel):
    """Where a run is stored and how it writes."""

    model_config = ConfigDict(extra="forbid")

    run_id: str | None = None
    """Reuse an id to resume a run; a new id is made when absent."""
    store_path: Path | None = None
    """SQLite file; defaults to ``$EVALLOOP_HOME`` or ``./.evalloop/evalloop.db``."""
    batch_size: int = Field(default=500, ge=1)
    """Items per store transaction."""
    flush_seconds: float = Field(default=1.0, gt=0)
    """Write a partial batch when it is this old."""


@dataclass
class RunReport:
    """What a run did: its manifest, the inputs it could not use, what it skipped."""

    manifest: RunManifest
    problems: list[Problem] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    new_items: int = 0
    resumed_items: int = 0


def new_run_id() -> str:
    """A sortable, unique run id: ``YYYYmmdd-HHMMSS-xxxxxx``."""
    return f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}"


class SessionGrader:
    """Grades one item: heuristics, then the decision. Pure: no I/O."""

    def __init__(self, config: GradeConfig | None = None) -> None:
        self.config = config or GradeConfig()
        self.heuristics = StudyModeHeuristics(self.config.heuristics)

    def grade(self, item: Item) -> EvalResult:
        """The :class:`EvalResult` of one item."""
        report = self.heuristics.grade(item.trajectory, item.learner_profile)
        result = decide(item.session_id, report.checks, self.config.decide)
        result.condition = item.condition
        result.domain = item.domain
        result.actions = report.actions
        result.metrics = report.metrics
        return result

    def outcome(self, run_id: str, item: Item) -> ItemOutcome:
        """Grade ``item`` into what the store keeps; a grader crash becomes data, not a raise."""
        result: EvalResult | None = None
        error: GraderError | None = None
        try:
            result = self.grade(item)
        except Exception as exc:
            error = GraderError(type=type(exc).__name__, message=scrub(str(exc)))
        grades = [
            Grade(
                run_id=run_id,
                item_key=item.key,
                grader=f"study_mode.{check.name}",
                grader_version=check.grader_version or self.heuristics.version,
                score=1.0 if check.passed else 0.0,
                passed=check.passed,
                verdict=check.verdict,
                reason=check.reason,
                evidence=check.evidence,
                confidence=check.confidence,
                source=check.source,
            )
            for check in (result.checks if result else [])
        ]
        return ItemOutcome(
            item_key=item.key,
            session_id=item.session_id,
            condition=item.condition,
            domain=item.domain,
            source=item.origin,
            result=result,
            grades=grades,
            error=error,
        )


def new_manifest(
    run_id: str, kind: str, paths: Sequence[str | Path], config: dict[str, Any]
) -> RunManifest:
    """The manifest of a new run over ``paths`` (their content hash included)."""
    return RunManifest(
        run_id=run_id,
        kind=kind,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        package_version=__version__,
        inputs=[str(p) for p in paths],
        dataset_sha256=inputs_sha256(paths),
        config=config,
    )


def grade_paths(
    paths: Sequence[str | Path],
    config: GradeConfig | None = None,
    options: RunOptions | None = None,
    progress: ProgressCallback | None = None,
) -> RunReport:
    """Grade every session in ``paths`` into the store and return the run's report."""
    options = options or RunOptions()
    grader = SessionGrader(config)
    run_id = options.run_id or new_run_id()
    with Store.open(options.store_path) as store:
        settings = {
            "grade": grader.config.model_dump(mode="json"),
            "grader_version": grader.heuristics.version,
        }
        manifest = store.start_run(new_manifest(run_id, "grade", paths, settings))
        report = RunReport(manifest=manifest)
        done = store.done_keys(run_id)
        report.resumed_items = len(done)
        _grade_stream(iter_loaded(paths), grader, store, run_id, done, options, report, progress)
        counts = store.count_items(run_id)
        status: RunStatus = "completed" if not report.problems else "failed"
        finished = datetime.now(UTC).isoformat(timespec="seconds")
        store.finish_run(run_id, status, counts, finished)
        report.manifest = store.get_run(run_id)
    return report


def grade_run(
    run_id: str,
    config: GradeConfig | None = None,
    options: RunOptions | None = None,
    progress: ProgressCallback | None = None,
) -> RunReport:
    """Grade every replay stored in run ``run_id`` (all conditions) into the same run."""
    options = (options or RunOptions()).model_copy(update={"run_id": run_id})
    grader = SessionGrader(config)
    with Store.open(options.store_path) as store:
        manifest = store.get_run(run_id)
        manifest.config["grade"] = grader.config.model_dump(mode="json")
        manifest.config["grader_version"] = grader.heuristics.version
        store.update_manifest(manifest)
        report = RunReport(manifest=manifest)
        done = store.done_keys(run_id)
        report.resumed_items = len(done)
        entries = _artifact_items(store, run_id)
        _grade_stream(entries, grader, store, run_id, done, options, report, progress)
        status: RunStatus = "completed" if not report.problems else "failed"
        finished = datetime.now(UTC).isoformat(timespec="seconds")
        store.finish_run(run_id, status, store.count_items(run_id), finished)
        report.manifest = store.get_run(run_id)
    return report


def _artifact_items(store: Store, run_id: str) -> Iterator[Item | ItemOutcome]:
    """Gradable items of a run's replays; a replay that failed becomes an errored item."""
    for stored in store.iter_artifacts(run_id):
        artifact = stored.artifact
        if artifact is None:
            yield ItemOutcome(
                item_key=stored.item_key,
                session_id=stored.session_id,
                condition=stored.condition,
                domain=None,
                source=stored.source,
                result=None,
                grades=[],
                error=GraderError(
                    type=stored.error_type or "ReplayError",
                    message=f"the replay failed: {stored.error_message}",
                ),
            )
            continue
        yield Item(
            key=stored.item_key,
            session_id=artifact.session_id,
            domain=artifact.domain,
            condition=artifact.regeneration_meta.condition,
            trajectory=artifact.regenerated_trajectory,
            origin=f"run {run_id}: {stored.item_key}",
            record=artifact,
        )


def _grade_stream(
    loaded: Iterable[Item | Skipped | Problem | ItemOutcome],
    grader: SessionGrader,
    store: Store,
    run_id: str,
    done: set[str],
    options: RunOptions,
    report: RunReport,
    progress: ProgressCallback | None,
) -> None:
    batch: list[ItemOutcome] = []
    last_flush = time.monotonic()
    for entry in loaded:
        if isinstance(entry, Skipped):
            report.skipped.append(entry)
            continue
        if isinstance(entry, Problem):
            report.problems.append(entry)
            continue
        if isinstance(entry, ItemOutcome):
            if entry.item_key not in done:
                batch.append(entry)
            continue
        if entry.key in done:
            if progress:
                progress(1)
            continue
        batch.append(grader.outcome(run_id, entry))
        now = time.monotonic()
        if len(batch) >= options.batch_size or now - last_flush >= options.flush_seconds:
            _flush(store, run_id, batch, report, progress)
            last_flush = now
    _flush(store, run_id, batch, report, progress)


def _flush(
    store: Store,
    run_id: str,
    batch: list[ItemOutcome],
    report: RunReport,
    progress: ProgressCallback | None,
) -> None:
    """Write a batch in one transaction; name the input duplicates the store refused."""
    if not batch:
        return
    inserted = store.write_outcomes(run_id, batch)
    report.new_items += inserted
    if inserted < len(batch):
        stored = store.item_sources(run_id, [o.item_key for o in batch])
        written: set[str] = set()
        for outcome in batch:
            first = stored.get(outcome.item_key)
            if first != outcome.source or outcome.item_key in written:
                report.problems.append(
                    Problem(
                        outcome.source or "?",
                        f"duplicate session '{outcome.item_key}' (first seen in {first}); "
                        "not graded twice",
                        field="session_id",
                        hint="session ids must be unique within one run",
                    )
                )
            written.add(outcome.item_key)
    if progress:
        progress(len(batch))
    batch.clear()
