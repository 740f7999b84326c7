"""Export a stored run as JSONL, Parquet and CSV, streaming in batches so memory stays flat."""

from __future__ import annotations

import json
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from types import TracebackType
from typing import IO, Any, NamedTuple, Protocol

from tutorloop.atomic import atomic_path, atomic_write_text
from tutorloop.errors import ConfigError
from tutorloop.records import GraderResult, RunManifest
from tutorloop.store.db import Store
from tutorloop.store.item import StoredItem

__all__ = ["EXPORT_FORMATS", "export_run", "write_manifest"]

EXPORT_FORMATS: tuple[str, ...] = ("jsonl", "parquet", "csv")
"""The formats :func:`export_run` writes, each to ``results.<format>``."""

_ROW_GROUP_ROWS = 65_536
"""Rows per Parquet row group: buffered flat columns only, a few MB at most."""
_LIST_COLUMNS = ("failures", "escalation_reasons")
_BASE_NAMES = (
    "run_id", "item_key", "session_id", "condition", "domain", "status", "fidelity",
    "escalate", "severity", "failures", "escalation_reasons", "error_type", "error_message",
)  # fmt: skip


def _base_columns() -> list[tuple[str, Any]]:
    """Arrow types of the fixed columns (pyarrow is imported only when exporting)."""
    import pyarrow as pa

    types = {"fidelity": pa.float64(), "escalate": pa.bool_()}
    return [
        (name, pa.list_(pa.string()) if name in _LIST_COLUMNS else types.get(name, pa.string()))
        for name in _BASE_NAMES
    ]


class _Sink(Protocol):
    def write(self, items: list[StoredItem], columns: dict[str, list[Any]]) -> None: ...


def export_run(
    store: Store,
    run_id: str,
    out_dir: Path,
    formats: Sequence[str] = EXPORT_FORMATS,
    *,
    batch_size: int = 1000,
) -> dict[str, Path]:
    """Write the run's items to ``out_dir/results.{jsonl,parquet,csv}``; return format → path.

    Flat formats hold one ``check.<name>`` column per check (``pass``/``fail``/``unsure``) and,
    per testing-criteria or learned grader, ``grader.<name>`` (``pass``/``fail``/``error``, or
    the grader's label when it gives no verdict) and ``grader.<name>.score``; a run the judge
    reviewed adds ``judged`` (``unsure``, ``audit`` or ``all``; empty when not judged) and
    ``judge.<check>`` (the judge's own verdict on each check it reviewed);
    Parquet keeps ``failures`` and ``escalation_reasons`` as lists, CSV joins them with ``;``.
    Each file is written atomically: readers never see a half-written export.

    Raises:
        ConfigError: an unknown format, or ``batch_size`` below 1.
        StoreError: the run does not exist, or a file cannot be written.
    """
    import pyarrow as pa  # imported here: the rest of tutorloop starts without it

    chosen = _choose(formats)
    if batch_size < 1:
        raise ConfigError(f"must be at least 1, got {batch_size}", field="batch_size")
    store.get_run(run_id)  # fails early, listing the known runs, if there is no such run
    checks = store.check_names(run_id)
    graders = store.grader_names(run_id)
    judged = sorted({c.check for c in store.judge_counts(run_id)})
    judge_columns = [("judged", pa.string())] if judged else []
    schema = pa.schema(
        _base_columns()
        + [(f"check.{name}", pa.string()) for name in checks]
        + [
            column
            for name in graders
            for column in ((f"grader.{name}", pa.string()), (f"grader.{name}.score", pa.float64()))
        ]
        + judge_columns
        + [(f"judge.{name}", pa.string()) for name in judged]
    )
    names = _Names(checks, graders, judged)
    paths = {fmt: Path(out_dir) / f"results.{fmt}" for fmt in chosen}
    with ExitStack() as stack:
        sinks = [_open(fmt, stack, paths[fmt], run_id, schema) for fmt in chosen]
        flat = any(fmt != "jsonl" for fmt in chosen)
        batch: list[StoredItem] = []
        for item in store.iter_items(run_id, batch_size=batch_size):
            batch.append(item)
            if len(batch) == batch_size:
                _flush(sinks, batch, _columns(run_id, batch, names) if flat else {})
                batch = []
        if batch:
            _flush(sinks, batch, _columns(run_id, batch, names) if flat else {})
    return paths


def write_manifest(manifest: RunManifest, out_dir: Path) -> Path:
    """Write ``out_dir/manifest.json`` atomically; return its path."""
    path = Path(out_dir) / "manifest.json"
    atomic_write_text(path, manifest.model_dump_json(indent=2) + "\n")
    return path


def _choose(formats: Sequence[str]) -> list[str]:
    """The requested formats, normalised and deduplicated, in the order given."""
    requested = [formats] if isinstance(formats, str) else list(formats)
    chosen = list(dict.fromkeys(str(fmt).strip().lower() for fmt in requested))
    valid = ", ".join(EXPORT_FORMATS)
    unknown = [fmt for fmt in chosen if fmt not in EXPORT_FORMATS]
    if unknown:
        raise ConfigError(
            f"unknown export format(s) {', '.join(map(repr, unknown))}; choose from: {valid}",
            field="formats",
        )
    if not chosen:
        raise ConfigError(f"no export format given; choose from: {valid}", field="formats")
    return chosen


def _open(fmt: str, stack: ExitStack, path: Path, run_id: str, schema: Any) -> _Sink:
    """Open a writer on a temporary file that replaces ``path`` when ``stack`` closes cleanly."""
    import pyarrow as pa
    import pyarrow.csv as pa_csv
    import pyarrow.parquet as pq

    tmp = stack.enter_context(atomic_path(path))
    sink: _Sink
    if fmt == "jsonl":
        handle = open(tmp, "w", encoding="utf-8", newline="\n")  # noqa: SIM115 (closed by stack)
        stack.callback(handle.close)
        sink = _JsonlSink(handle, run_id)
    elif fmt == "parquet":
        sink = _ArrowSink(pq.ParquetWriter(str(tmp), schema), schema, _ROW_GROUP_ROWS)
        stack.push(sink.finish)  # unwinds before atomic_path: closed, then moved in place
    else:
        csv_schema = pa.schema(
            [
                pa.field(f.name, pa.string()) if f.name in _LIST_COLUMNS else f
                for f in schema  # CSV has no list type: lists become ';'-joined strings
            ]
        )
        sink = _ArrowSink(pa_csv.CSVWriter(str(tmp), csv_schema), csv_schema, 1, joined=True)
        stack.push(sink.finish)
    return sink


def _flush(sinks: list[_Sink], items: list[StoredItem], columns: dict[str, list[Any]]) -> None:
    for sink in sinks:
        sink.write(items, columns)


class _Names(NamedTuple):
    checks: list[str]
    graders: list[str]
    judged: list[str]
    """Checks the judge reviewed somewhere in the run (empty: no judge columns)."""


def _columns(run_id: str, items: list[StoredItem], names: _Names) -> dict[str, list[Any]]:
    """The flat columns of one batch (verdicts of names not in ``names`` are dropped)."""
    cols: dict[str, list[Any]] = {name: [] for name in _BASE_NAMES}
    check_cols: dict[str, list[Any]] = {name: [] for name in names.checks}
    grader_cols: dict[str, list[Any]] = {name: [] for name in names.graders}
    score_cols: dict[str, list[Any]] = {name: [] for name in names.graders}
    for item in items:
        result = item.result
        cols["run_id"].append(run_id)
        cols["item_key"].append(item.item_key)
        cols["session_id"].append(item.session_id)
        cols["condition"].append(item.condition)
        cols["domain"].append(item.domain)
        cols["status"].append(item.status)
        cols["error_type"].append(item.error_type)
        cols["error_message"].append(item.error_message)
        verdicts: dict[str, str | None] = {}
        graded: dict[str, tuple[str | None, float | None]] = {}
        if result is None:
            for name in ("fidelity", "escalate", "severity", *_LIST_COLUMNS):
                cols[name].append(None)
        else:
            cols["fidelity"].append(result.pedagogical_fidelity_score)
            cols["escalate"].append(result.escalate)
            cols["severity"].append(result.severity)
            cols["failures"].append([f.name for f in result.failures])
            cols["escalation_reasons"].append([r.code for r in result.escalation_reasons])
            for check in result.checks:
                default = "pass" if check.passed else "fail"
                verdicts.setdefault(check.name, check.verdict or default)
            for grader in result.graders:
                graded.setdefault(grader.name, (_grader_verdict(grader), grader.score))
        for name, values in check_cols.items():
            values.append(verdicts.get(name))
        for name in names.graders:
            verdict, score = graded.get(name, (None, None))
            grader_cols[name].append(verdict)
            score_cols[name].append(score)
    cols.update((f"check.{name}", values) for name, values in check_cols.items())
    for name in names.graders:
        cols[f"grader.{name}"] = grader_cols[name]
        cols[f"grader.{name}.score"] = score_cols[name]
    if names.judged:
        reviews = [item.result.judge if item.result is not None else None for item in items]
        cols["judged"] = [r.because if r is not None else None for r in reviews]
        for name in names.judged:
            cols[f"judge.{name}"] = [
                next((c.judge for c in r.checks if c.name == name), None) if r else None
                for r in reviews
            ]
    return cols


def _grader_verdict(grader: GraderResult) -> str | None:
    """``error``, ``pass``/``fail``, or the label of a grader that gives no verdict."""
    if grader.error is not None:
        return "error"
    if grader.passed is not None:
        return "pass" if grader.passed else "fail"
    return grader.label


class _JsonlSink:
    """One JSON object per line: ids, condition, status, error and the full EvalResult."""

    def __init__(self, handle: IO[str], run_id: str) -> None:
        self._handle = handle
        self._run_id = run_id

    def write(self, items: list[StoredItem], columns: dict[str, list[Any]]) -> None:
        lines = []
        for item in items:
            error = item.error
            result = item.result
            record = {
                "run_id": self._run_id,
                "item_key": item.item_key,
                "session_id": item.session_id,
                "condition": item.condition,
                "domain": item.domain,
                "status": item.status,
                "error": None if error is None else error.model_dump(),
                "result": None if result is None else result.model_dump(mode="json"),
            }
            lines.append(json.dumps(record, ensure_ascii=False) + "\n")
        self._handle.writelines(lines)


class _ArrowSink:
    """Writes the flat columns with an Arrow writer, ``group_rows`` rows (or more) at a time."""

    def __init__(self, writer: Any, schema: Any, group_rows: int, *, joined: bool = False) -> None:
        self._writer = writer
        self._schema = schema
        self._group_rows = group_rows
        self._joined = joined
        self._pending: list[Any] = []
        self._pending_rows = 0

    def write(self, items: list[StoredItem], columns: dict[str, list[Any]]) -> None:
        if self._joined:
            columns = dict(columns)
            for name in _LIST_COLUMNS:
                columns[name] = [None if v is None else ";".join(v) for v in columns[name]]
        import pyarrow as pa

        self._pending.append(pa.RecordBatch.from_pydict(columns, schema=self._schema))
        self._pending_rows += len(items)
        if self._pending_rows >= self._group_rows:
            self._flush()

    def finish(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Exit callback: write what is pending (unless failing), then close the writer."""
        try:
            if exc_type is None:
                self._flush()
        finally:
            self._writer.close()

    def _flush(self) -> None:
        if self._pending:
            import pyarrow as pa

            self._writer.write_table(pa.Table.from_batches(self._pending, schema=self._schema))
        self._pending, self._pending_rows = [], 0
