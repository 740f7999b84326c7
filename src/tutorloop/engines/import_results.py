"""Bring a Ray run's Parquet results into the SQLite store, where reports and gates read them.

A results folder holds ``manifest.json`` (the run) and ``results/*.parquet`` (one row per item,
replay, skip or input problem; see :mod:`.results`). Importing is idempotent: the store's
done-marks make a second import of the same folder, or of a resumed run's folder, add only the
rows it does not hold yet.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tutorloop.engines.results import outcome_of
from tutorloop.errors import Problem, UserError
from tutorloop.load import Skipped
from tutorloop.records import RunManifest, RunStatus
from tutorloop.run import (
    GradeConfig,
    Graded,
    RunConfig,
    RunReport,
    SessionGrader,
    StoredOutcomes,
    run_sync,
)
from tutorloop.store import ArtifactOutcome, ItemOutcome, Store

MANIFEST = "manifest.json"
RESULTS = "results"


def read_manifest(out_dir: Path) -> RunManifest:
    """The manifest of the run whose results are in ``out_dir``."""
    path = Path(out_dir) / MANIFEST
    try:
        return RunManifest.model_validate_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(
            f"{path}: no run manifest here; pass the folder a '--engine ray' run wrote "
            "(it holds manifest.json and results/)"
        ) from None


def iter_result_rows(out_dir: Path, batch_rows: int = 2000) -> Iterator[dict[str, Any]]:
    """The result rows under ``out_dir/results``, file by file in name order, streamed."""
    import pyarrow.parquet as pq

    folder = Path(out_dir) / RESULTS
    files = sorted(folder.glob("*.parquet")) if folder.is_dir() else []
    for file in files:
        for batch in pq.ParquetFile(file).iter_batches(batch_size=batch_rows):
            yield from batch.to_pylist()


def import_results(
    out_dir: Path, store_path: Path | None = None, options: RunConfig | None = None
) -> RunReport:
    """Store every result of the run in ``out_dir``; return what was added and what was found."""
    manifest = read_manifest(out_dir)
    options = (options or RunConfig()).model_copy(
        update={"run_id": manifest.run_id, "store_path": store_path}
    )
    with Store.open(store_path) as store:
        stored = store.start_run(manifest)
        if stored.config != manifest.config:
            stored.config = manifest.config
            store.update_manifest(stored)
        report = RunReport(manifest=stored)
        if manifest.kind == "replay":
            _import_replays(store, manifest.run_id, out_dir, report)
            counts = store.count_artifacts(manifest.run_id)
        else:
            sink = StoredOutcomes(store, manifest.run_id, report)
            grader = SessionGrader(GradeConfig.model_validate(manifest.config.get("grade", {})))
            rows = (outcome_of(row, manifest.run_id, grader) for row in iter_result_rows(out_dir))
            entries = (Graded(o) if isinstance(o, ItemOutcome) else o for o in rows
                       if not isinstance(o, ArtifactOutcome))  # fmt: skip
            run_sync(entries, lambda stored: stored.outcome, sink, options)
            counts = store.count_items(manifest.run_id)
        status: RunStatus = "completed" if not report.problems else "failed"
        finished = manifest.finished_at or datetime.now(UTC).isoformat(timespec="seconds")
        store.finish_run(manifest.run_id, status, counts, finished)
        final = store.get_run(manifest.run_id)
        if manifest.cost_usd:
            final.cost_usd = manifest.cost_usd
            store.update_manifest(final)
        report.manifest = final
    return report


def _import_replays(store: Store, run_id: str, out_dir: Path, report: RunReport) -> None:
    done = store.artifact_keys(run_id)
    report.resumed_items = len(done)
    grader = SessionGrader()
    imported: set[str] = set()
    for row in iter_result_rows(out_dir):
        outcome = outcome_of(row, run_id, grader)
        if isinstance(outcome, Problem):
            report.problems.append(outcome)
        elif isinstance(outcome, Skipped):
            report.skipped.append(outcome)
        elif isinstance(outcome, ArtifactOutcome) and outcome.item_key in imported:
            report.problems.append(
                Problem(
                    outcome.source or "?",
                    f"duplicate session '{outcome.item_key}'; stored once",
                    field="session_id",
                )
            )
        elif isinstance(outcome, ArtifactOutcome) and outcome.item_key not in done:
            if store.write_artifact(run_id, outcome):
                report.new_items += 1
            imported.add(outcome.item_key)
        elif isinstance(outcome, ItemOutcome):
            report.problems.append(Problem(out_dir.name, "a grading row in a replay run's results"))
