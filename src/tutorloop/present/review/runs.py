"""The runs page's rows: every stored run with its gates and headline figures.

Each run is summarised in one streaming pass (as the report does) and its gates evaluated with
the bundled Study Mode policy, so a reviewer sees at a glance which runs need them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from tutorloop.analyse import RunSummary, compare_results, run_metrics, summarize
from tutorloop.bundled import bundled_policy
from tutorloop.present.review.cache import ReviewCache, run_stamp
from tutorloop.pulse import GatePolicy, GateReport, evaluate_gates, load_policy
from tutorloop.records import RunManifest
from tutorloop.store import Store

__all__ = ["RunRow", "run_rows"]


@dataclass(frozen=True)
class RunRow:
    """One run on the runs page."""

    manifest: RunManifest
    summary: RunSummary
    gates: GateReport | None
    """None for a run without graded sessions (a replay not graded yet)."""
    labelled: int
    """Sessions with at least one reviewer label."""
    labels: int

    @property
    def pass_rate(self) -> float | None:
        """Share of graded sessions not escalated."""
        s = self.summary
        return (s.items - s.escalated) / s.items if s.items else None

    def json(self) -> dict[str, object]:
        """The row as the JSON API answers it."""
        s = self.summary
        return {
            "run_id": self.manifest.run_id,
            "kind": self.manifest.kind,
            "status": self.manifest.status,
            "created_at": self.manifest.created_at,
            "sessions": s.items,
            "errored": s.errored,
            "escalated": s.escalated,
            "fidelity_mean": s.fidelity_mean if s.items else None,
            "pass_rate": self.pass_rate,
            "labelled": self.labelled,
            "labels": self.labels,
            "gates": None if self.gates is None else self.gates.gates,
            "required_pass": None if self.gates is None else self.gates.required_pass,
            "report_url": f"/v1/runs/{self.manifest.run_id}/report",
        }


def run_rows(store: Store, cache: ReviewCache | None = None) -> list[RunRow]:
    """Every run in the store, newest first, summarised and gated.

    ``cache`` keeps each run's row until the run gains items or labels, or finishes.
    """
    policy = load_policy(bundled_policy())
    rows = []
    for manifest in store.list_runs():
        if cache is None:
            rows.append(_row(store, manifest, policy))
            continue
        stamp = (*run_stamp(store, manifest.run_id), manifest.status, manifest.finished_at)
        key = ("run", manifest.run_id)
        rows.append(cache.get_or_make(key, stamp, partial(_row, store, manifest, policy)))
    return rows


def _row(store: Store, manifest: RunManifest, policy: GatePolicy) -> RunRow:
    run_id = manifest.run_id
    summary = summarize(run_id, store.iter_results(run_id), queue_size=0, session_rows=0)
    gates = None
    if summary.items:
        ab = None
        if {"base", "overlay"} <= set(summary.conditions):
            ab = compare_results(
                store.iter_results(run_id, "base"), store.iter_results(run_id, "overlay"),
                label_a="base", label_b="overlay",
            )  # fmt: skip
        metrics = run_metrics(summary, ab)
        gates = evaluate_gates(policy, metrics, run_status=manifest.status)
    counts = store.labels.labelled_keys(run_id)
    return RunRow(manifest, summary, gates, len(counts), sum(counts.values()))
