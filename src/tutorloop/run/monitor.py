"""What ``tutorloop monitor`` and the service's monitor pages show: windows, drift, alerts.

:func:`monitor_snapshot` gathers, from the store, the current and baseline windows with every
metric's value in each, the drift tests (significant ones first), the alert episodes and the
deliveries still pending, and the size of the review queue; :func:`metric_series` gives one
metric over time for a chart.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from tutorloop.analyse import DriftReport, metric_value, time_series, watched_metrics
from tutorloop.run.alerts import current_drift
from tutorloop.run.watch_config import WatchConfig
from tutorloop.store import Store

__all__ = ["MonitorSnapshot", "metric_series", "monitor_snapshot"]


@dataclass
class MonitorSnapshot:
    """The state of watching, ready to print or to send as JSON."""

    sessions: int
    windows: dict[str, Any]
    metrics: list[dict[str, Any]]
    drift: list[dict[str, Any]]
    alerts: list[dict[str, Any]]
    pending_deliveries: int
    review_queue: int
    note: str | None = None
    runs: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The snapshot as plain JSON data."""
        return asdict(self)


def _iso(at: float | None) -> str | None:
    return None if at is None else datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds")


def monitor_snapshot(store: Store, config: WatchConfig, *, top: int = 30) -> MonitorSnapshot:
    """The windows, metrics, drift and alerts of the store's watched sessions."""
    report, current = current_drift(store, config.drift)
    windows: dict[str, Any] = {
        "window_seconds": config.drift.window,
        "baseline": config.drift.baseline,
    }
    if report.current is not None and report.baseline is not None:
        windows["current"] = {
            "start": _iso(report.current.start),
            "end": _iso(report.current.end),
            "n": report.current_n,
        }
        windows["baseline_window"] = {
            "start": _iso(report.baseline.start),
            "end": _iso(report.baseline.end),
            "n": report.baseline_n,
        }
    metrics = []
    for name in watched_metrics(current):
        value = metric_value(current, name)
        if value is not None:
            metrics.append(
                {
                    "metric": name,
                    "value": value.value,
                    "n": value.n,
                    "low": value.low,
                    "high": value.high,
                }
            )
    return MonitorSnapshot(
        sessions=store.watch.count(),
        windows=windows,
        metrics=metrics,
        drift=_drift_rows(report, top),
        alerts=[
            {
                "rule": e.rule,
                "opened_at": e.opened_at,
                "closed_at": e.closed_at,
                "summary": e.event.get("summary"),
                "event": e.event,
            }
            for e in store.watch.episodes()
        ],
        pending_deliveries=len(store.watch.pending_deliveries()),
        review_queue=len(store.review_samples()),
        note=report.reason,
        runs=[m.run_id for m in store.list_runs() if m.kind == "watch"],
    )


def _drift_rows(report: DriftReport, top: int) -> list[dict[str, Any]]:
    ordered = sorted(report.tests, key=lambda t: (not t.significant, t.p_adjusted))
    return [
        {
            "metric": t.metric,
            "split": t.split,
            "segment": t.segment,
            "baseline": t.baseline.value,
            "baseline_n": t.baseline.n,
            "current": t.current.value,
            "current_n": t.current.n,
            "difference": t.difference,
            "interval": [t.diff_low, t.diff_high],
            "effect": t.effect,
            "test": t.test,
            "p_adjusted": t.p_adjusted,
            "significant": t.significant,
        }
        for t in ordered[:top]
    ]


def metric_series(
    store: Store, metric: str, step: float, since: float | None = None, until: float | None = None
) -> list[dict[str, Any]]:
    """``metric`` per ``step`` seconds over the watched sessions (``since``..``until``)."""
    rows = store.watch.rows(since, until)
    return [
        {
            "start": start,
            "time": _iso(start),
            "value": value.value,
            "n": value.n,
            "low": value.low,
            "high": value.high,
        }
        for start, value in time_series(rows, metric, step)
    ]
