"""Grading runs: load → grade → decide → store, streaming, resumable after kill -9.

A grading run is the run engine (:mod:`tutorloop.run.engine`) with the loaded inputs as its
source, one :class:`SessionGrader` (or, with model-based graders or a judge, the async grader of
:mod:`.model_grading`) as its worker and :class:`~tutorloop.run.outcomes.StoredOutcomes` as its
sink: each batch's results and done-marks go into the store in one transaction, so a killed run
loses at most the batch in flight, and a rerun with the same run id grades exactly the items
that are not stored yet.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import anyio

from tutorloop._sync import off_event_loop
from tutorloop.errors import Problem
from tutorloop.generate import CallContext, CallPolicy, Endpoint, ProviderSettings
from tutorloop.load import (
    EvalItem,
    Item,
    Skipped,
    iter_eval_items,
    iter_loaded,
    looks_like_eval_items,
)
from tutorloop.records import GraderError, RunStatus
from tutorloop.run.common import RunReport, new_manifest, new_run_id
from tutorloop.run.config import RunConfig
from tutorloop.run.engine import Progress, Sink, run_sync
from tutorloop.run.model_grading import ModelGrading, grade_entries_async
from tutorloop.run.outcomes import Graded, StoredOutcomes
from tutorloop.run.reach import ModelReach
from tutorloop.run.session import GradeConfig, SessionGrader
from tutorloop.store import EncodedOutcome, ItemOutcome, Store, encode_outcome

Entry = Item | EvalItem | Skipped | Problem | Graded


class ModelAccess:
    """How model-based graders reach their models (only used when a run has them)."""

    def __init__(
        self,
        policy: CallPolicy | None = None,
        settings: ProviderSettings | None = None,
        endpoints: Mapping[str, Endpoint] | None = None,
    ) -> None:
        self.policy = policy or CallPolicy()
        self.settings = settings or ProviderSettings()
        self.endpoints: dict[str, Endpoint] = dict(endpoints or {})
        """Each role's endpoint (``judge``, ``grader``, or one a grader spec names)."""


@off_event_loop
def grade_paths(
    paths: Sequence[str | Path],
    config: GradeConfig | None = None,
    options: RunConfig | None = None,
    progress: Progress | None = None,
    models: ModelGrading | None = None,
    access: ModelAccess | None = None,
) -> RunReport:
    """Grade every session (or dataset item) in ``paths`` into the store; return the report.

    Raises:
        ModelsUnreachable: the judge or a model grader never reached its model (every call
            refused, timed out or denied its key); the run is stored, marked failed.
        RunFailed: more items errored than ``options.fail_on_error`` allows.
    """
    options = options or RunConfig()
    run_id = options.run_id or new_run_id()
    grader = SessionGrader(config)
    with Store.open(options.store_path) as store:
        settings = _settings(grader, models)
        manifest = store.start_run(new_manifest(run_id, "grade", paths, settings))
        inputs = iter_inputs(paths, grader.config.input_format)
        return _grade(inputs, grader, store, manifest.run_id, options, progress,
                      models, access)  # fmt: skip


@off_event_loop
def grade_run(
    run_id: str,
    config: GradeConfig | None = None,
    options: RunConfig | None = None,
    progress: Progress | None = None,
    models: ModelGrading | None = None,
    access: ModelAccess | None = None,
) -> RunReport:
    """Grade every replay stored in run ``run_id`` (all conditions) into the same run."""
    options = (options or RunConfig()).model_copy(update={"run_id": run_id})
    grader = SessionGrader(config)
    with Store.open(options.store_path) as store:
        manifest = store.get_run(run_id)
        manifest.config.update(_settings(grader, models))
        store.update_manifest(manifest)
        entries = _artifact_items(store, run_id)
        return _grade(entries, grader, store, run_id, options, progress, models, access)


def iter_inputs(paths: Sequence[str | Path], fmt: str | None = None) -> Iterator[Entry]:
    """Sessions and artifacts, or dataset items (``{"item": ...}`` JSONL) path by path.

    ``fmt`` reads every log file as that format (None: detected per file).
    """
    for path in paths:
        if fmt is None and Path(path).is_file() and looks_like_eval_items(path):
            yield from iter_eval_items(path)
        else:
            yield from iter_loaded([path], fmt=fmt)


def _settings(grader: SessionGrader, models: ModelGrading | None) -> dict[str, object]:
    settings: dict[str, object] = {
        "grade": grader.config.model_dump(mode="json"),
        "grader_version": grader.heuristics.version,
    }
    if grader.learned:
        settings["learned"] = {g.name: g.version for g in grader.learned}
    if models is not None and models.active:
        settings["models"] = models.model_dump(mode="json")
    return settings


def _run(
    entries: Iterable[Entry],
    grader: SessionGrader,
    sink: StoredOutcomes,
    run_id: str,
    options: RunConfig,
    progress: Progress | None,
    models: ModelGrading | None,
    access: ModelAccess | None,
    reach: ModelReach,
) -> None:
    if models is not None and models.active:
        # no loop runs in this thread (the entry points are @off_event_loop): the coroutine
        # shares this thread's store connection, so it runs here, not on another thread
        anyio.run(
            _grade_with_models, entries, grader, models, access or ModelAccess(), sink, options,
            progress, reach, backend="asyncio",
        )  # fmt: skip
    else:
        encoded: Sink[ItemOutcome | EncodedOutcome] = sink
        run_sync(_heuristic_work(entries), _heuristic_worker(grader, run_id), encoded, options,
                 progress)  # fmt: skip


def _grade(
    entries: Iterable[Entry],
    grader: SessionGrader,
    store: Store,
    run_id: str,
    options: RunConfig,
    progress: Progress | None,
    models: ModelGrading | None,
    access: ModelAccess | None,
) -> RunReport:
    report = RunReport(manifest=store.get_run(run_id))
    sink = StoredOutcomes(store, run_id, report)
    reach = ModelReach()
    with _long_lived_frozen():
        _run(entries, grader, sink, run_id, options, progress, models, access, reach)
    failed = report.problems or reach.never_reached()
    status: RunStatus = "failed" if failed else "completed"
    finished = datetime.now(UTC).isoformat(timespec="seconds")
    store.finish_run(run_id, status, store.count_items(run_id), finished)
    report.manifest = store.get_run(run_id)
    reach.check(run_id)
    return report


@contextmanager
def _long_lived_frozen() -> Iterator[None]:
    """Leave what exists before the run out of the garbage collector's passes meanwhile.

    A run keeps a batch of results alive until it is written, so they reach the oldest
    generation and trigger full collections, each of which walks every object of the process
    (modules, compiled schemas and patterns: hundreds of thousands). Frozen, those are skipped;
    they are unfrozen afterwards, so nothing stays exempt from collection.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


async def _grade_with_models(
    entries: Iterable[Entry],
    grader: SessionGrader,
    models: ModelGrading,
    access: ModelAccess,
    sink: StoredOutcomes,
    options: RunConfig,
    progress: Progress | None,
    reach: ModelReach,
) -> None:
    ledger = sink.store.path.parent / "calls.db"
    async with CallContext(
        access.policy, access.settings, ledger_path=ledger, endpoints=access.endpoints
    ) as context:
        await grade_entries_async(
            entries, grader, models, context, sink, sink.run_id, options, progress, reach
        )


def _heuristic_work(entries: Iterable[Entry]) -> Iterator[Entry]:
    """The entries, with dataset items (which need graders) turned into problems."""
    for entry in entries:
        if isinstance(entry, EvalItem):
            yield Problem(entry.origin, "dataset items need graders: pass --graders FILE")
        else:
            yield entry


def _heuristic_worker(
    grader: SessionGrader, run_id: str
) -> Callable[[Item | Graded], ItemOutcome | EncodedOutcome]:
    """Grade with the heuristics alone, one item at a time (the fast path).

    Each outcome is encoded into its rows at once: the batch waiting to be written then holds
    strings, and the records die young instead of reaching the collector's oldest generation.
    """

    def work(entry: Item | Graded) -> ItemOutcome | EncodedOutcome:
        if isinstance(entry, Graded):
            return encode_outcome(run_id, entry.outcome)
        return encode_outcome(run_id, grader.outcome(run_id, entry))

    return work


def _artifact_items(store: Store, run_id: str) -> Iterator[Item | Graded]:
    """Gradable items of a run's replays; a replay that failed becomes an errored item."""
    for stored in store.iter_artifacts(run_id):
        artifact = stored.artifact
        if artifact is None:
            yield Graded(ItemOutcome(
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
            ))  # fmt: skip
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
