"""``rejudge`` and ``salvage``: repair the verdicts and the final tables of a finished run.

:func:`rejudge_run` asks the judge again for every row that has an answer but no valid verdict
(optionally only for some models or personas), appends the new rows to ``partials.jsonl``
(``rejudge: true``; the last row of a key wins) and rewrites the finals; it logs to
``rejudge.log``. It is :func:`tutorloop.run.run_async` with those rows as its source, the judge
as its worker and the run folder's store as its sink; a rejudge cut short is run again as is,
since a row re-judged is no longer one that needs a verdict. :func:`salvage_run` rebuilds
``results.parquet`` and ``results.csv`` from ``partials.jsonl`` alone, keeping the last row
per key.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tutorloop._sync import run_sync_coroutine
from tutorloop.align.config import AlignRunRecord
from tutorloop.align.dataset import AlignItem, check_dataset, iter_dataset
from tutorloop.align.runner import close_logger, error_row, run_logger, utc_stamp
from tutorloop.align.scoring import ask_judge, check_judge
from tutorloop.align.sink import ROW_BY_ROW, RowSink
from tutorloop.errors import ConfigError, InputProblems, StoreError
from tutorloop.generate import (
    CallContext,
    CallPolicy,
    CallStats,
    Model,
    ProviderSettings,
    full_model_name,
)
from tutorloop.records import AlignRow
from tutorloop.run import run_async
from tutorloop.store import AlignStore

__all__ = ["RejudgeOptions", "RejudgeReport", "rejudge_run", "salvage_run"]


class RejudgeOptions(BaseModel):
    """Which run to re-judge, with which judge, and which rows."""

    model_config = ConfigDict(extra="forbid")

    run_id: str
    output_dir: Path = Path("results")
    dataset: Path | None = None
    """Default: the dataset the run used (from ``run.json``)."""
    judge_model: str | None = None
    """Default: the run's judge."""
    models: list[str] = Field(default_factory=list)
    """Only rows of these models (all when empty)."""
    personas: list[str] = Field(default_factory=list)
    """Only rows of these personas (all when empty)."""
    preflight: bool = True


@dataclass
class RejudgeReport:
    """What a rejudge did."""

    run_dir: Path
    candidates: int = 0
    """Rows that needed a verdict and matched the filters."""
    judged: int = 0
    """Of those, rows that now have a valid verdict."""
    errored: int = 0
    finals: dict[str, Path] = field(default_factory=dict)
    stats: CallStats = field(default_factory=CallStats)


def run_dir_of(output_dir: Path, run_id: str) -> Path:
    """The folder of an existing run.

    Raises:
        ConfigError: there is no such run.
    """
    run_dir = output_dir / run_id
    if not (run_dir / "partials.jsonl").exists() and not (run_dir / "state.sqlite").exists():
        known = sorted(p.name for p in output_dir.glob("*") if (p / "partials.jsonl").exists())
        runs = ", ".join(known) or "none"
        raise ConfigError(
            f"no alignment run '{run_id}' in {output_dir} (runs there: {runs})", field="RUN_ID"
        )
    return run_dir


def salvage_run(run_id: str, output_dir: Path = Path("results")) -> dict[str, Path]:
    """Rebuild the finals of ``run_id`` from ``partials.jsonl`` (last row per key)."""
    with AlignStore(run_dir_of(output_dir, run_id)) as store:
        return store.write_finals()


def _record(run_dir: Path) -> AlignRunRecord | None:
    path = run_dir / "run.json"
    if not path.exists():
        return None
    try:
        return AlignRunRecord.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValidationError) as exc:
        raise StoreError(f"cannot read {path}: {exc}") from exc


def rejudge_run(
    options: RejudgeOptions,
    policy: CallPolicy | None = None,
    settings: ProviderSettings | None = None,
) -> RejudgeReport:
    """Judge again the rows of a run that have an answer but no valid verdict (sync)."""
    return run_sync_coroutine(_rejudge, options, policy, settings)


async def _rejudge(
    options: RejudgeOptions, policy: CallPolicy | None, settings: ProviderSettings | None
) -> RejudgeReport:
    run_dir = run_dir_of(options.output_dir, options.run_id)
    record = _record(run_dir)
    dataset = options.dataset or (Path(record.dataset) if record else None)
    judge_name = options.judge_model or (record.judge_model if record else None)
    if dataset is None or judge_name is None:
        raise ConfigError("the run has no run.json: give --dataset and --judge-model")
    judge_name = full_model_name(judge_name)
    models = {full_model_name(m) for m in options.models}
    checked = check_dataset(dataset)
    if checked.problems:
        raise InputProblems(checked.problems)
    report = RejudgeReport(run_dir=run_dir)
    policy = (policy or CallPolicy()).model_copy(update={"cache": False})
    with AlignStore(run_dir) as store:
        rows = [
            row
            for row in store.iter_rows()
            if row.needs_judging
            and (not models or full_model_name(row.model_slug) in models)
            and (not options.personas or row.persona_slug in options.personas)
        ]
        report.candidates = len(rows)
        wanted = {row.test_id for row in rows}
        items = {item.id: item for item in iter_dataset(dataset) if item.id in wanted}
        log = run_logger(run_dir / "rejudge.log", "rejudge")
        try:
            log.info("rejudge %s: %d row(s), judge %s", options.run_id, len(rows), judge_name)
            async with CallContext(policy, settings) as context:
                judge = context.model(judge_name)
                if rows and options.preflight:
                    await check_judge(judge)
                await _judge_all(rows, items, judge, store, report, log, policy.concurrency)
                report.stats = context.stats
            report.finals = store.write_finals()
        finally:
            close_logger(log)
    return report


async def _judge_all(
    rows: list[AlignRow],
    items: dict[str, AlignItem],
    judge: Model,
    store: AlignStore,
    report: RejudgeReport,
    log: logging.Logger,
    concurrency: int,
) -> None:
    """The engine over the rows that need a verdict: judge each, append the new row."""

    def source() -> Iterator[AlignRow]:
        for row in rows:
            if row.test_id in items:
                yield row
            else:
                log.warning("%s: test '%s' is not in the dataset; skipped", row.key, row.test_id)

    async def rejudge(row: AlignRow) -> AlignRow:
        assert row.raw_candidate is not None
        verdict = await ask_judge(judge, items[row.test_id], row.raw_candidate)
        return row.model_copy(
            update={"completed_at": utc_stamp(), **verdict.row_fields(), "rejudge": True}
        )

    def failed(row: AlignRow, exc: BaseException) -> AlignRow:
        return error_row(row.model_copy(update={"rejudge": True}), exc)

    sink = RowSink(store, log, failed, resume=False, done_message="re-judged", log_error_type=False)
    done = await run_async(source(), rejudge, sink, ROW_BY_ROW, concurrency=concurrency)
    report.errored += done.errored
    report.judged += done.written - done.errored
