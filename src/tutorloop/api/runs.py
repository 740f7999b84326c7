"""The run objects the verbs return: the run id, its manifest and summary, its records, exports.

A run object points at a run in the store (or, for the alignment benchmark, at its run folder);
``summary`` and ``results`` are read from there on first use, and ``to_arrow`` / ``to_parquet``
use the store's own exports, so a run graded earlier opens the same way (:meth:`GradeRun.open`).
"""

from __future__ import annotations

import os
import tempfile
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tutorloop.align import AlignReport, AlignRunRecord, AlignSummary, summarize_rows
from tutorloop.analyse import RunSummary, summarize
from tutorloop.api.inputs import store_file
from tutorloop.errors import Problem, StoreError
from tutorloop.records import AlignRow, EvalResult, ReplayArtifact, RunManifest
from tutorloop.run import ReplayReport, RunReport
from tutorloop.store import AlignStore, Store, atomic_path, export_run

if TYPE_CHECKING:
    import pyarrow as pa


class GradeRun:
    """A graded run in the store: its manifest, summary and results, and its exports."""

    def __init__(self, manifest: RunManifest, store_path: Path, report: RunReport | None = None):
        self.manifest = manifest
        """The run's manifest as the grading left it (counts, status, config, inputs)."""
        self.store_path = store_path
        """The store holding the run."""
        self.report = report or RunReport(manifest=manifest)
        """What the call that graded it met: input problems, skipped files, resumed items."""

    @classmethod
    def open(cls, run_id: str, store_path: Path | str | None = None) -> GradeRun:
        """The stored run ``run_id`` (graded earlier, here or by ``tutorloop grade``).

        Raises:
            StoreError: no such run (the message lists the known ones).
        """
        path = store_file(store_path)
        with Store.open(path) as store:
            return cls(store.get_run(run_id), path)

    @property
    def run_id(self) -> str:
        """The run's id."""
        return self.manifest.run_id

    @property
    def problems(self) -> list[Problem]:
        """Inputs that could not be graded, each naming its file, line and field."""
        return self.report.problems

    @cached_property
    def summary(self) -> RunSummary:
        """Fidelity, check rates, the failure taxonomy and the review queue."""
        with Store.open(self.store_path) as store:
            return summarize(self.run_id, store.iter_results(self.run_id))

    @cached_property
    def results(self) -> list[EvalResult]:
        """One :class:`EvalResult` per graded item, in the order they were stored."""
        with Store.open(self.store_path) as store:
            return [result for _, result in store.iter_results(self.run_id) if result is not None]

    def to_arrow(self) -> pa.Table:
        """The results as an Arrow table: the columns of ``results.parquet`` (see ``export``)."""
        import pyarrow.parquet as pq

        with tempfile.TemporaryDirectory() as folder:
            return pq.read_table(self._export(Path(folder)))

    def to_parquet(self, path: Path | str) -> Path:
        """Write the results to the Parquet file ``path`` (atomically); return the path."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=target.parent, prefix=".tutorloop-") as folder:
            os.replace(self._export(Path(folder)), target)
        return target

    def _export(self, folder: Path) -> Path:
        with Store.open(self.store_path) as store:
            return export_run(store, self.run_id, folder, ["parquet"])["parquet"]

    def __repr__(self) -> str:
        counts = self.manifest.counts
        return (
            f"<GradeRun {self.run_id!r}: {counts.done} graded, {counts.errored} errored, "
            f"{counts.escalated} escalated>"
        )


_ARTIFACT_COLUMNS = (
    ("run_id", "string"), ("item_key", "string"), ("session_id", "string"),
    ("condition", "string"), ("model", "string"), ("mode", "string"), ("persona", "string"),
    ("status", "string"), ("tutor_turns", "int64"), ("input_tokens", "int64"),
    ("output_tokens", "int64"), ("cost_usd", "float64"), ("error_type", "string"),
    ("error_message", "string"),
)  # fmt: skip


class ReplayRun:
    """A replay run in the store: what it did, the artifacts it produced, a table of them.

    Grade it with ``tutorloop.grade(run)``: every condition is graded into the same run.
    """

    def __init__(self, summary: ReplayReport, store_path: Path):
        self.summary = summary
        """Replayed, errored and resumed counts, the errors, the calls, tokens and cost."""
        self.store_path = store_path
        """The store holding the run."""

    @property
    def run_id(self) -> str:
        """The run's id."""
        return self.summary.manifest.run_id

    @property
    def manifest(self) -> RunManifest:
        """The run's manifest (model, conditions, overlay hash, counts, cost)."""
        return self.summary.manifest

    @property
    def problems(self) -> list[Problem]:
        """Inputs that could not be replayed, each naming its file, line and field."""
        return self.summary.problems

    @cached_property
    def results(self) -> list[ReplayArtifact]:
        """One :class:`ReplayArtifact` per replay that succeeded, in the order stored."""
        with Store.open(self.store_path) as store:
            found = (stored.artifact for stored in store.iter_artifacts(self.run_id))
            return [artifact for artifact in found if artifact is not None]

    def to_arrow(self) -> pa.Table:
        """One row per replay (errored ones too): ids, condition, model, usage, cost, error."""
        import pyarrow as pa

        rows: list[dict[str, Any]] = []
        with Store.open(self.store_path) as store:
            for stored in store.iter_artifacts(self.run_id):
                artifact = stored.artifact
                meta = artifact.regeneration_meta if artifact is not None else None
                usage = meta.usage if meta is not None else None
                turns = artifact.regenerated_trajectory if artifact is not None else None
                rows.append(
                    {
                        "run_id": self.run_id,
                        "item_key": stored.item_key,
                        "session_id": stored.session_id,
                        "condition": stored.condition,
                        "model": stored.model,
                        "mode": meta.mode if meta is not None else None,
                        "persona": meta.persona if meta is not None else None,
                        "status": stored.status,
                        "tutor_turns": (
                            sum(t.role == "assistant" for t in turns) if turns is not None else None
                        ),
                        "input_tokens": usage.input_tokens if usage is not None else None,
                        "output_tokens": usage.output_tokens if usage is not None else None,
                        "cost_usd": meta.cost_usd if meta is not None else None,
                        "error_type": stored.error_type,
                        "error_message": stored.error_message,
                    }
                )
        schema = pa.schema([(name, pa.type_for_alias(kind)) for name, kind in _ARTIFACT_COLUMNS])
        return pa.Table.from_pylist(rows, schema=schema)

    def to_parquet(self, path: Path | str) -> Path:
        """Write :meth:`to_arrow` to the Parquet file ``path`` (atomically); return the path."""
        import pyarrow.parquet as pq

        target = Path(path)
        with atomic_path(target) as tmp:
            pq.write_table(self.to_arrow(), tmp)
        return target

    def __repr__(self) -> str:
        s = self.summary
        return (
            f"<ReplayRun {self.run_id!r}: {s.replayed} replayed, {s.errored} errored, "
            f"{s.resumed} resumed, ${s.stats.cost_usd:.4f}>"
        )


class AlignRun:
    """An alignment benchmark run: its folder, record, summary, rows and results table."""

    def __init__(self, report: AlignReport):
        self.report = report
        """What the call did: rows written, resumed and errored, the calls, the final files."""

    @property
    def run_id(self) -> str:
        """The run's id."""
        return self.report.run_id

    @property
    def run_dir(self) -> Path:
        """The run's folder: partials, state, logs, ``results.parquet`` and ``results.csv``."""
        return self.report.run_dir

    @cached_property
    def manifest(self) -> AlignRunRecord:
        """The run's record (``run.json``): dataset, models, personas, judge."""
        path = self.run_dir / "run.json"
        try:
            return AlignRunRecord.model_validate_json(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise StoreError(f"cannot read {path}: {exc}") from exc

    @cached_property
    def summary(self) -> AlignSummary:
        """Attack rate and mean scores per category and per model × persona."""
        return summarize_rows(self.run_id, self.results)

    @cached_property
    def results(self) -> list[AlignRow]:
        """The last row of every (test, persona, model), in the order first written."""
        with AlignStore(self.run_dir) as store:
            return list(store.iter_rows())

    def to_arrow(self) -> pa.Table:
        """The run's ``results.parquet``: one flat row per (test, persona, model)."""
        import pyarrow.parquet as pq

        return pq.read_table(self.run_dir / "results.parquet")

    def to_parquet(self, path: Path | str) -> Path:
        """Copy the run's ``results.parquet`` to ``path`` (atomically); return the path."""
        target = Path(path)
        with atomic_path(target) as tmp:
            tmp.write_bytes((self.run_dir / "results.parquet").read_bytes())
        return target

    def __repr__(self) -> str:
        r = self.report
        return f"<AlignRun {self.run_id!r}: {r.total} rows, {r.errored} errored → {r.run_dir}>"
