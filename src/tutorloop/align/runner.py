"""The alignment run: every (test, persona, model) answered and judged, resumable after kill -9.

The run is :func:`tutorloop.run.run_async`: its source walks the dataset stream lazily (tests ×
personas × models), the engine skips keys already done and keeps at most twice the call
concurrency in flight, so memory stays flat however large the product grows; its worker
answers and judges one key; its sink (:class:`~tutorloop.align.sink.RowSink`) appends each
finished row to ``partials.jsonl`` and then marks it done (see :mod:`tutorloop.store.align`),
one row at a time as the benchmark runner does. Every answer a call received is first kept in
the run's call ledger (``calls.db``), so a resumed run repeats only the calls that were in
flight. The judge is called once before the run (fail closed).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from tutorloop._sync import run_sync_coroutine
from tutorloop.align.config import AlignConfig, AlignRunRecord, new_align_run_id
from tutorloop.align.dataset import AlignItem, check_dataset, iter_dataset
from tutorloop.align.personas import (
    AlignPersona,
    build_messages,
    persona_system_prompt,
    resolve_personas,
)
from tutorloop.align.scoring import (
    FatalModelError,
    Verdict,
    ask_candidate,
    ask_judge,
    check_judge,
    error_cause,
)
from tutorloop.align.sink import ROW_BY_ROW, RowSink
from tutorloop.atomic import atomic_write_text
from tutorloop.errors import ConfigError, InputProblems, ProviderError, scrub
from tutorloop.generate import (
    CallContext,
    CallPolicy,
    CallStats,
    Model,
    ProviderSettings,
    full_model_name,
    split_model,
)
from tutorloop.records import AlignRow, row_key
from tutorloop.run import Progress, run_async
from tutorloop.store import AlignStore

__all__ = [
    "AlignReport", "close_logger", "error_row", "run_align", "run_align_async", "run_logger",
    "utc_stamp",
]  # fmt: skip


@dataclass
class AlignReport:
    """What an alignment run did."""

    run_id: str
    run_dir: Path
    total: int
    """Keys in the run: tests × personas × models."""
    written: int = 0
    """Rows written by this invocation."""
    resumed: int = 0
    """Keys already done before this invocation."""
    errored: int = 0
    """Rows written by this invocation with an error."""
    repaired: int = 0
    """Keys that had a row but no done-mark (a kill between the two), now marked."""
    finals: dict[str, Path] = field(default_factory=dict)
    stats: CallStats = field(default_factory=CallStats)


@dataclass(frozen=True)
class _Work:
    item: AlignItem
    persona: AlignPersona
    model: str
    """As given: the row's ``model_slug`` and key (the call routes :func:`full_model_name`)."""

    @property
    def key(self) -> str:
        return row_key(self.item.id, self.persona.slug, self.model)


def utc_stamp() -> str:
    """Now in UTC with milliseconds, as in the benchmark's example row (``…T12:30:00.123Z``)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def run_logger(path: Path, name: str) -> logging.Logger:
    """A logger that writes to ``path`` only (``run.log``, ``rejudge.log``)."""
    logger = logging.getLogger(f"tutorloop.align.{name}.{path.parent.name}")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger.addHandler(handler)
    return logger


def close_logger(logger: logging.Logger) -> None:
    """Close the logger's files."""
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()


def run_align(
    config: AlignConfig,
    policy: CallPolicy | None = None,
    settings: ProviderSettings | None = None,
    progress: Progress | None = None,
) -> AlignReport:
    """Run the alignment benchmark (sync façade of :func:`run_align_async`)."""
    return run_sync_coroutine(run_align_async, config, policy, settings, progress)


async def run_align_async(
    config: AlignConfig,
    policy: CallPolicy | None = None,
    settings: ProviderSettings | None = None,
    progress: Progress | None = None,
) -> AlignReport:
    """Answer and judge every (test, persona, model); write partials, state and finals.

    Raises:
        InputProblems: the dataset has bad lines (all of them are listed).
        ConfigError: an unknown persona, a malformed model name, a missing key.
        FatalModelError: the judge does not answer, or a model rejects the key or the name.
    """
    personas = resolve_personas(config.personas)
    models = [m.strip() for m in config.models]
    for name in models:
        full_model_name(name)  # a malformed name fails before the run
    judge_name = full_model_name(config.judge_model)
    checked = check_dataset(config.dataset)
    if checked.problems:
        raise InputProblems(checked.problems)
    run_id = config.run_id or new_align_run_id()
    run_dir = config.output_dir / run_id
    policy = (policy or CallPolicy()).model_copy(update={"cache": False})
    total = checked.items * len(personas) * len(models)
    report = AlignReport(run_id=run_id, run_dir=run_dir, total=total)
    if progress:
        progress(0, total=total)
    with AlignStore(run_dir) as store:
        report.repaired = store.repaired
        log = run_logger(run_dir / "run.log", "run")
        try:
            _write_record(config, run_id, run_dir, models, personas)
            shape = f"{checked.items} tests x {len(personas)} personas x {len(models)} models"
            log.info("run %s: %d keys (%s), judge %s", run_id, total, shape, judge_name)
            if report.repaired:
                log.info("marked %d key(s) done that had a row but no done-mark", report.repaired)
            async with CallContext(
                policy, settings, ledger_path=run_dir / "calls.db", run_id=run_id
            ) as context:
                _open_providers(context, models, judge_name)
                if config.preflight:
                    await _preflight(policy, settings, judge_name)
                work = _work(config, personas, models)
                await _answer_all(work, context, judge_name, store, report, log, progress)
                report.stats = context.stats
            report.finals = store.write_finals()
            log.info("finished: %d written, %d errored, %d resumed",
                     report.written, report.errored, report.resumed)  # fmt: skip
        except FatalModelError as exc:
            log.error("stopped: %s", exc.message)
            raise
        finally:
            close_logger(log)
    return report


def _write_record(
    config: AlignConfig,
    run_id: str,
    run_dir: Path,
    models: list[str],
    personas: list[AlignPersona],
) -> None:
    record = AlignRunRecord(
        run_id=run_id,
        dataset=str(config.dataset.resolve()),
        models=models,
        personas=[p.slug for p in personas],
        judge_model=config.judge_model.strip(),
        started_at=utc_stamp(),
    )
    atomic_write_text(run_dir / "run.json", record.model_dump_json(indent=2) + "\n")


def _open_providers(context: CallContext, models: list[str], judge: str) -> None:
    """Create every provider now: a bad name or a missing key fails before any call."""
    for name in models:
        try:
            context.provider(split_model(full_model_name(name))[0])
        except ConfigError as exc:
            raise FatalModelError(f"the model '{name}' cannot be used: {exc.message}") from exc
    try:
        context.provider(split_model(judge)[0])
    except ConfigError as exc:
        raise FatalModelError(
            f"the judge model '{judge}' cannot be used: {exc.message}; choose a judge with "
            "--judge-model (sim/base answers offline)"
        ) from exc


async def _preflight(policy: CallPolicy, settings: ProviderSettings | None, judge: str) -> None:
    """One judge call outside the run's ledger, so a resumed run checks the judge again."""
    async with CallContext(policy, settings) as probe:
        await check_judge(probe.model(judge))


def _work(config: AlignConfig, personas: list[AlignPersona], models: list[str]) -> Iterator[_Work]:
    """Tests × personas × models, lazily (the engine skips the keys already done)."""
    for item in iter_dataset(config.dataset):
        for persona in personas:
            for model in models:
                yield _Work(item, persona, model)


async def _answer_all(
    work: Iterator[_Work],
    context: CallContext,
    judge_name: str,
    store: AlignStore,
    report: AlignReport,
    log: logging.Logger,
    progress: Progress | None,
) -> None:
    """The engine over ``work``: answer and judge each key, append its row, mark it done."""
    judge = context.model(judge_name)

    async def answer(task: _Work) -> AlignRow:
        return await _one(task, context.model(full_model_name(task.model)), judge, report.run_id)

    def failed(task: _Work, exc: BaseException) -> AlignRow:
        return error_row(_row(task, report.run_id, utc_stamp()), exc)

    sink = RowSink(store, log, failed)
    concurrency = context.policy.concurrency
    done = await run_async(work, answer, sink, ROW_BY_ROW, progress, concurrency)
    report.written, report.resumed, report.errored = done.written, done.resumed, done.errored


def error_row(row: AlignRow, exc: BaseException) -> AlignRow:
    """``row`` ended by an unexpected error: its type, message and cause, scrubbed."""
    return row.model_copy(
        update={
            "completed_at": utc_stamp(),
            "error": f"run: {scrub(str(exc)) or type(exc).__name__}",
            "error_type": type(exc).__name__,
            "error_cause": error_cause(exc),
        }
    )


def _row(task: _Work, run_id: str, started: str) -> AlignRow:
    item = task.item
    return AlignRow(
        run_id=run_id,
        test_id=item.id,
        category=item.category,
        subcategory=item.subcategory,
        persona_slug=task.persona.slug,
        model_slug=task.model,
        started_at=started,
        completed_at=started,
    )


async def _one(task: _Work, model: Model, judge: Model, run_id: str) -> AlignRow:
    item, persona = task.item, task.persona
    started = utc_stamp()
    system = persona_system_prompt(item.persona_system_prompt, persona)
    messages = build_messages(item.conversation, system)
    candidate: str | None = None
    try:
        candidate = await ask_candidate(model, messages)
    except ProviderError as exc:
        verdict = Verdict(
            error=f"candidate: {exc.message}",
            error_type=type(exc).__name__,
            error_cause=error_cause(exc),
        )
    else:
        verdict = await ask_judge(judge, item, candidate)
    return _row(task, run_id, started).model_copy(
        update={"completed_at": utc_stamp(), "raw_candidate": candidate, **verdict.row_fields()}
    )
