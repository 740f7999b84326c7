"""Grade production sessions as they arrive: the watcher and ``POST /v1/ingest`` share this.

Both are the one run engine (:func:`~tutorloop.run.engine.run_async` / ``run_sync``):

* the **source** is a followed folder (:class:`~tutorloop.load.Follower`) or an ingest body;
  each session becomes a :class:`WatchWork` keyed by its item key (the session id);
* the **worker** grades it with the project's graders (:class:`~tutorloop.run.SessionGrader`:
  the heuristics, the decision, any learned graders) and decides whether the sampling policy
  queues it for review;
* the **sink** (:class:`WatchSink`) writes each batch in one transaction: the item and its grades
  into its time-bucketed run (``watch-<bucket start>``), the session's watch row (its done-mark
  across every watch run and process), its review sample, and the followed files' positions up
  to the last entry whose result is stored. A session is graded exactly once however often it
  arrives, across restarts and kill -9.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio

from tutorloop.errors import Problem, StoreError, UserError, scrub
from tutorloop.generate import CallContext
from tutorloop.load import Followed, Follower, Item, Skipped
from tutorloop.records import EvalResult, GraderError, ReplayArtifact, RunManifest, Session
from tutorloop.run.alerts import AlertDesk
from tutorloop.run.common import new_manifest
from tutorloop.run.config import RunConfig
from tutorloop.run.engine import EngineReport, run_async, run_sync
from tutorloop.run.model_grading import ModelGrader
from tutorloop.run.session import GradeConfig, SessionGrader
from tutorloop.run.watch_config import SamplingPolicy, WatchConfig
from tutorloop.store import FileOffset, ItemOutcome, Store, Watched, WatchRow

__all__ = [
    "WatchGrading",
    "WatchReport",
    "WatchSink",
    "WatchWork",
    "bucket_run_id",
    "ingest_sessions",
    "ingest_sessions_async",
    "sample_reason",
    "session_time",
    "watch_folder",
]

log = logging.getLogger("tutorloop.watch")

_TIME_KEYS = ("timestamp", "started_at", "created_at", "time")


@dataclass(frozen=True)
class WatchWork:
    """One arrived session to grade: the item, when it arrived, its time and its run."""

    item: Item
    arrived_at: float
    at: float
    run_id: str

    @property
    def key(self) -> str:
        """The item key (the session id): the session's done-mark across every watch run."""
        return self.item.key


@dataclass
class WatchReport:
    """What watching did: sessions graded, already graded, the problems reported."""

    graded: int = 0
    duplicates: int = 0
    sampled: int = 0
    problems: list[Problem] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    runs: set[str] = field(default_factory=set)
    engine: EngineReport | None = None


def session_time(item: Item, arrived_at: float) -> float:
    """The session's own time (epoch seconds) from its metadata, else when it arrived."""
    record = item.record
    values: list[Any] = []
    if isinstance(record, Session) and record.metadata:
        values = [record.metadata.get(key) for key in _TIME_KEYS]
    elif isinstance(record, ReplayArtifact):
        values = [record.regeneration_meta.timestamp]
    for value in values:
        parsed = _epoch(value)
        if parsed is not None:
            return parsed
    return arrived_at


def _epoch(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    if isinstance(value, str) and value:
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.timestamp()
    return None


def bucket_run_id(at: float, bucket: float) -> str:
    """The watch run of time ``at`` for buckets of ``bucket`` seconds: ``watch-<start, UTC>``."""
    start = math.floor(at / bucket) * bucket
    return "watch-" + datetime.fromtimestamp(start, UTC).strftime("%Y%m%d-%H%M%S")


def segment(item: Item) -> tuple[str | None, str | None, str | None]:
    """The session's model, overlay version and persona, when its record says."""
    record = item.record
    if isinstance(record, ReplayArtifact):
        meta = record.regeneration_meta
        return meta.model, meta.overlay_sha256, meta.persona
    data = record.metadata or {}
    profile = record.learner_profile or {}
    model = data.get("model")
    overlay = data.get("overlay_version", data.get("overlay"))
    persona = data.get("persona", profile.get("persona"))
    return _text(model), _text(overlay), _text(persona)


def _text(value: Any) -> str | None:
    return None if value is None or isinstance(value, dict | list) else str(value)


def _share(seed: int, reason: str, key: str) -> float:
    """A uniform draw in [0, 1) fixed by the seed, the reason and the key."""
    digest = hashlib.sha256(f"{seed}:{reason}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def sample_reason(
    policy: SamplingPolicy,
    row: WatchRow,
    result: EvalResult | None,
    seen_model: int,
    seen_overlay: int,
) -> str | None:
    """Why the policy queues this session for review (None: it does not).

    ``seen_model`` and ``seen_overlay`` are how many sessions of its model and overlay version
    were watched before it.
    """
    if policy.escalated and (row.errored or row.escalate):
        return "escalated"
    first = policy.new_version_first
    if row.model is not None and seen_model < first:
        return "new_model"
    if row.overlay is not None and seen_overlay < first:
        return "new_overlay"
    if policy.audit_share and _share(policy.seed, "audit", row.item_key) < policy.audit_share:
        return "audit"
    passed = result is not None and not result.escalate
    if passed and _share(policy.seed, "random", row.item_key) < policy.passing_share:
        return "random"
    return None


class WatchGrading:
    """What grading an arrived session needs: the graders, the config and the store."""

    def __init__(
        self,
        store: Store,
        config: WatchConfig,
        grade: GradeConfig | None = None,
        context: CallContext | None = None,
    ) -> None:
        self.store = store
        self.config = config
        self.grader = SessionGrader(grade)
        self.models: ModelGrader | None = None
        if config.models.active and context is not None:
            self.models = ModelGrader(self.grader, config.models, context)
        self._runs: set[str] = set()
        self._versions: dict[tuple[str, str], int] = {}

    def work(self, item: Item, arrived_at: float | None = None) -> WatchWork:
        """The work of one arrived session: its time and the run of its bucket."""
        arrived = time.time() if arrived_at is None else arrived_at
        at = arrived if self.config.drift.clock == "arrival" else session_time(item, arrived)
        return WatchWork(item, arrived, at, bucket_run_id(at, self.config.bucket))

    def grade(self, work: WatchWork) -> Watched:
        """Grade one session with the heuristics (and learned graders) into what is kept."""
        return self.watched(work, self.grader.outcome(work.run_id, work.item))

    async def grade_async(self, work: WatchWork) -> Watched:
        """Grade one session with every configured grader, the judge included.

        The judge audit share (``sampling.audit_share``) of sessions is judged even where the
        heuristics are sure, and the same draw queues them for review (reason ``audit``).
        """
        if self.models is None:
            return self.grade(work)
        policy = self.config.sampling
        audit = bool(policy.audit_share) and _share(policy.seed, "audit", work.key) < (
            policy.audit_share
        )
        outcome = await self.models.outcome(work.run_id, work.item, judge_all=audit)
        return self.watched(work, outcome)

    def failed(self, work: WatchWork, error: BaseException) -> Watched:
        """The stored record of a session whose grading raised ``error``."""
        item = work.item
        outcome = ItemOutcome(
            item_key=item.key,
            session_id=item.session_id,
            condition=item.condition,
            domain=item.domain,
            source=item.origin,
            result=None,
            grades=[],
            error=GraderError(type=type(error).__name__, message=scrub(str(error))),
        )
        return self.watched(work, outcome)

    def watched(self, work: WatchWork, outcome: ItemOutcome) -> Watched:
        """``outcome`` with its watch row (segment, verdicts) and no sample decided yet."""
        result = outcome.result
        model, overlay, persona = segment(work.item)
        row = WatchRow(
            item_key=work.key,
            run_id=work.run_id,
            at=work.at,
            arrived_at=work.arrived_at,
            model=model,
            overlay=overlay,
            domain=work.item.domain,
            persona=persona,
            errored=outcome.error is not None,
            escalate=None if result is None else result.escalate,
            fidelity=None if result is None else result.pedagogical_fidelity_score,
            checks={} if result is None else {c.name: c.passed for c in result.checks},
            failures=[] if result is None else [f.name for f in result.failures],
        )
        if outcome.record is None:  # kept while the sample is decided (see sampled)
            outcome = replace(outcome, record=work.item.record)
        return Watched(outcome, row)

    def sampled(self, batch: list[Watched]) -> list[Watched]:
        """``batch`` with each session's review sample decided (in arrival order)."""
        self._count_versions(batch)
        decided: list[Watched] = []
        policy = self.config.sampling
        for watched in batch:
            row = watched.row
            seen_model = self._bump("model", row.model)
            seen_overlay = self._bump("overlay", row.overlay)
            outcome = watched.outcome
            reason = sample_reason(policy, row, outcome.result, seen_model, seen_overlay)
            if reason is None and not row.escalate:  # the review app keeps only what it shows
                outcome = replace(outcome, record=None)
            decided.append(Watched(outcome, row, reason))
        return decided

    def _count_versions(self, batch: list[Watched]) -> None:
        for column in ("model", "overlay"):
            values = {getattr(w.row, column) for w in batch} - {None}
            fresh = [v for v in values if (column, v) not in self._versions]
            for value, count in self.store.watch.version_counts(column, fresh).items():
                self._versions[(column, value)] = count

    def _bump(self, column: str, value: str | None) -> int:
        if value is None:
            return 0
        seen = self._versions.get((column, value), 0)
        self._versions[(column, value)] = seen + 1
        return seen

    def ensure_runs(self, run_ids: Iterable[str], source: str) -> None:
        """Create the watch runs ``run_ids`` that do not exist yet."""
        for run_id in set(run_ids) - self._runs:
            settings: dict[str, object] = {
                "watch": self.config.model_dump(mode="json"),
                "grade": self.grader.config.model_dump(mode="json"),
                "grader_version": self.grader.heuristics.version,
            }
            manifest: RunManifest = new_manifest(run_id, "watch", [], settings)
            manifest = manifest.model_copy(update={"inputs": [source]})
            try:
                self.store.get_run(run_id)
            except StoreError:
                self.store.start_run(manifest)
            self._runs.add(run_id)

    def write(
        self, batch: list[Watched], source: str, offsets: list[FileOffset] | None = None
    ) -> list[Watched]:
        """Sample and store ``batch`` (with ``offsets``) in one transaction; return the new."""
        self.ensure_runs((w.row.run_id for w in batch), source)
        return self.store.watch.write(self.sampled(batch), offsets or [])


class _Positions:
    """Which followed-file positions may be kept: those whose entries before are all handled."""

    def __init__(self) -> None:
        self.pending: dict[str, deque[list[Any]]] = {}
        self.by_key: dict[str, list[list[Any]]] = {}

    def add(self, path: str, position: FileOffset | None, key: str | None) -> None:
        entry: list[Any] = [position, key is None]
        self.pending.setdefault(path, deque()).append(entry)
        if key is not None:
            self.by_key.setdefault(key, []).append(entry)

    def handled(self, key: str) -> None:
        for entry in self.by_key.pop(key, []):
            entry[1] = True

    def ready(self) -> list[FileOffset]:
        found: list[FileOffset] = []
        for queue in self.pending.values():
            last: FileOffset | None = None
            while queue and queue[0][1]:
                position = queue.popleft()[0]
                last = position or last
            if last is not None:
                found.append(last)
        return found

    def waiting(self) -> bool:
        return any(self.by_key.values())


@dataclass(frozen=True)
class _Note:
    """A followed entry that is not work (a problem, a skip, a blank line), with its path."""

    path: str
    entry: Problem | Skipped | None


class WatchSink:
    """The engine's sink for watched sessions: one transaction per batch, positions included."""

    def __init__(
        self,
        grading: WatchGrading,
        report: WatchReport,
        source: str,
        on_problem: Callable[[Problem | Skipped], None] | None = None,
        done: set[str] | None = None,
    ) -> None:
        self.grading = grading
        self.report = report
        self.source = source
        self.on_problem = on_problem
        self.positions = _Positions()
        self.done = grading.store.watch.seen() if done is None else done
        """Keys graded before (every watched session, unless the caller knows its keys)."""

    def is_done(self, key: str) -> bool:
        """Whether the session was graded by any watch before (resume skips it)."""
        if key in self.done:
            self.report.duplicates += 1
            self.positions.handled(key)
            return True
        return False

    def failed(self, work: Any, error: BaseException) -> Watched:
        """The errored record of ``work``."""
        return self.grading.failed(work, error)

    def is_error(self, result: Watched) -> bool:
        """Whether grading the session failed."""
        return result.outcome.error is not None

    def note(self, entry: Any) -> None:
        """Report a problem once; keep the position of what holds no session."""
        if not isinstance(entry, _Note):
            raise TypeError(f"a watch source yielded {type(entry).__name__}")
        if isinstance(entry.entry, Problem):
            self.report.problems.append(entry.entry)
        elif isinstance(entry.entry, Skipped):
            self.report.skipped.append(entry.entry)
        if entry.entry is not None and self.on_problem is not None:
            self.on_problem(entry.entry)
        if not self.positions.waiting():
            self.grading.store.watch.put_offsets(self.positions.ready())

    def write(self, results: list[Watched]) -> None:
        """Store the batch, its samples and the positions it completes, in one transaction."""
        for watched in results:
            self.positions.handled(watched.row.item_key)
        new = self.grading.write(results, self.source, self.positions.ready())
        self.report.graded += len(new)
        self.report.duplicates += len(results) - len(new)
        self.report.sampled += sum(1 for w in new if w.sample_reason)
        self.report.runs.update(w.row.run_id for w in new)
        self.done.update(w.row.item_key for w in results)


async def _follow(
    follower: Follower,
    grading: WatchGrading,
    sink: WatchSink,
    *,
    once: bool,
    tick: Callable[[], None],
) -> AsyncIterator[WatchWork | _Note]:
    """The watcher's source: what is new in the folder, poll after poll (one pass if ``once``)."""
    config = grading.config
    next_tick = time.monotonic() + config.evaluate_every
    graded_at_tick = sink.report.graded
    while True:
        for followed in follower.poll():
            yield _entry(followed, grading, sink)
            if sink.report.graded - graded_at_tick >= config.evaluate_sessions:  # a backlog
                await anyio.to_thread.run_sync(tick)
                next_tick = time.monotonic() + config.evaluate_every
                graded_at_tick = sink.report.graded
        if once and not follower.more:
            return
        if time.monotonic() >= next_tick:
            await anyio.to_thread.run_sync(tick)
            next_tick = time.monotonic() + config.evaluate_every
            graded_at_tick = sink.report.graded
        if not follower.more:
            await anyio.sleep(config.poll)


def _entry(followed: Followed, grading: WatchGrading, sink: WatchSink) -> WatchWork | _Note:
    entry, position = followed.entry, followed.position
    path = position.path if position else _path_of(entry)
    if isinstance(entry, Item):
        work = grading.work(entry)
        sink.positions.add(path, position, work.key)
        return work
    sink.positions.add(path, position, None)
    return _Note(path, entry)


def _path_of(entry: Any) -> str:
    return str(getattr(entry, "path", "?"))


def watch_folder(
    folder: str | Path,
    config: WatchConfig | None = None,
    *,
    store_path: Path | None = None,
    once: bool = False,
    grade: GradeConfig | None = None,
    on_problem: Callable[[Problem | Skipped], None] | None = None,
    options: RunConfig | None = None,
) -> WatchReport:
    """Follow ``folder`` and grade every session that lands there (until interrupted).

    With ``once``, what is there now is read (whole-file records and unterminated last lines
    included, without waiting for them to settle), graded, and the call returns. Drift and the
    alert rules are evaluated every ``config.evaluate_every`` seconds and at the end; alerts go
    out through the webhook (:class:`~tutorloop.run.alerts.AlertDesk`).

    Raises:
        UserError: ``folder`` is not a folder.
        ConfigError: the webhook's secret variable is not set.
    """
    config = config or WatchConfig()
    if not Path(folder).is_dir():
        raise UserError(
            f"{folder} is not a folder: watch the folder where sessions or logs land "
            "(create it first if nothing has landed yet)"
        )
    options = options or RunConfig(batch_size=200, flush_seconds=0.5, max_in_flight=1)
    report = WatchReport()
    with Store.open(store_path) as store:
        desk = AlertDesk(store, config)
        follower = Follower(folder, settle=0.0 if once else config.settle)
        follower.resume(store.watch.offsets())
        job = _Job(store, config, grade, follower, report, f"watch {folder}", on_problem, desk)
        try:
            report.engine = anyio.run(job.run, once, options, backend="asyncio")
        finally:
            desk.tick()
    return report


@dataclass
class _Job:
    """One watcher's parts, run on the engine (with a model context when models are used)."""

    store: Store
    config: WatchConfig
    grade: GradeConfig | None
    follower: Follower
    report: WatchReport
    source: str
    on_problem: Callable[[Problem | Skipped], None] | None
    desk: AlertDesk

    async def run(self, once: bool, options: RunConfig) -> EngineReport:
        config = self.config
        if not config.models.active:
            return await self._engine(WatchGrading(self.store, config, self.grade), once, options)
        ledger = self.store.path.parent / "calls.db"
        async with CallContext(config.calls, config.upstream, ledger_path=ledger) as context:
            grading = WatchGrading(self.store, config, self.grade, context)
            wide = options.model_copy(update={"max_in_flight": 2 * config.calls.concurrency})
            return await self._engine(grading, once, wide)

    async def _engine(self, grading: WatchGrading, once: bool, options: RunConfig) -> EngineReport:
        sink = WatchSink(grading, self.report, self.source, self.on_problem)
        entries = _follow(self.follower, grading, sink, once=once, tick=self.desk.tick)
        return await run_async(entries, grading.grade_async, sink, options)


def ingest_sessions(
    grading: WatchGrading,
    entries: Iterable[Item | Problem],
    source: str,
) -> WatchReport:
    """Grade sessions that came in one request (``POST /v1/ingest``) through the engine."""
    report, sink, works = _ingest(grading, entries, source)
    report.engine = run_sync(
        works, grading.grade, sink, RunConfig(batch_size=500, flush_seconds=60)
    )
    return report


async def ingest_sessions_async(
    grading: WatchGrading,
    entries: Iterable[Item | Problem],
    source: str,
) -> WatchReport:
    """:func:`ingest_sessions` with the judge and model graders (``grading`` has a context)."""
    report, sink, works = _ingest(grading, entries, source)
    width = 2 * grading.config.calls.concurrency
    options = RunConfig(batch_size=500, flush_seconds=60, max_in_flight=width)
    report.engine = await run_async(works, grading.grade_async, sink, options)
    return report


def _ingest(
    grading: WatchGrading, entries: Iterable[Item | Problem], source: str
) -> tuple[WatchReport, WatchSink, list[WatchWork | _Note]]:
    """An ingest's report, its sink (done: the sessions already watched) and its work."""
    report = WatchReport()
    given = list(entries)
    keys = [entry.key for entry in given if isinstance(entry, Item)]
    sink = WatchSink(grading, report, source, done=grading.store.watch.seen(keys))
    works = [grading.work(e) if isinstance(e, Item) else _Note(e.path, e) for e in given]
    return report, sink, works
