"""Release decisions for a stored run: metrics → gates → PULSE status.json, and A/B comparisons."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from tutorloop._version import __version__
from tutorloop.analyse import (
    Comparison,
    compare_results,
    judge_agreement,
    judge_metrics,
    run_metrics,
    summarize,
)
from tutorloop.errors import ConfigError
from tutorloop.pulse.gates import GatePolicy, GateReport, evaluate_gates
from tutorloop.pulse.status import patch_status
from tutorloop.store import Store

RunMode = Literal["demo", "core", "prod"]


class GateOutcome(BaseModel):
    """What ``gate_run`` decided and wrote."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    run_id: str
    run_status: str
    report: GateReport
    metrics: dict[str, float]
    comparison: Comparison | None
    status_path: Path | None


def compare_conditions(run_id: str, a: str, b: str, store_path: Path | None = None) -> Comparison:
    """Condition ``a`` against condition ``b`` of one run (e.g. base vs overlay)."""
    with Store.open(store_path) as store:
        store.get_run(run_id)
        return compare_results(
            store.iter_results(run_id, a), store.iter_results(run_id, b),
            label_a=f"{run_id}:{a}", label_b=f"{run_id}:{b}",
        )  # fmt: skip


def compare_runs(run_a: str, run_b: str, store_path: Path | None = None) -> Comparison:
    """Run ``run_a`` against run ``run_b`` on the sessions they share."""
    with Store.open(store_path) as store:
        store.get_run(run_a)
        store.get_run(run_b)
        return compare_results(
            store.iter_results(run_a), store.iter_results(run_b), label_a=run_a, label_b=run_b
        )


def gate_run(
    run_id: str,
    policy: GatePolicy,
    *,
    store_path: Path | None = None,
    status_json: Path | None = None,
    run_mode: RunMode = "core",
) -> GateOutcome:
    """Evaluate ``policy`` on the graded run; patch ``status_json`` (PULSE v1) when given."""
    with Store.open(store_path) as store:
        manifest = store.get_run(run_id)
        summary = summarize(run_id, store.iter_results(run_id))
        comparison = None
        if {"base", "overlay"} <= set(summary.conditions):
            comparison = compare_results(
                store.iter_results(run_id, "base"), store.iter_results(run_id, "overlay"),
                label_a="base", label_b="overlay",
            )  # fmt: skip
        audit = judge_agreement(store.judge_counts(run_id))
    status = manifest.status
    metrics = run_metrics(summary, comparison)
    metrics.update(judge_metrics(audit, summary.items))
    report = evaluate_gates(policy, metrics, run_status=status)
    if status_json is not None:
        described: dict[str, object] = {"tutorloop.run_id": run_id}
        described.update({f"tutorloop.{k}": round(v, 6) for k, v in sorted(metrics.items())})
        patch_status(
            status_json,
            gates=report.gates,
            metrics=described,
            run_mode=run_mode,
            version=f"tutorloop-{__version__}",
        )
    return GateOutcome(
        run_id=run_id,
        run_status=status,
        report=report,
        metrics=metrics,
        comparison=comparison,
        status_path=status_json,
    )


def parse_conditions(text: str) -> tuple[str, str]:
    """``base,overlay`` → ``("base", "overlay")``."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if len(parts) != 2:
        raise ConfigError("give two conditions, e.g. base,overlay", field="--conditions")
    return parts[0], parts[1]
