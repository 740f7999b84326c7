"""Watching, shown: terminal tables (windows, metrics, drift, alerts) and a metric's trend page."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape as escape_html
from typing import Any

from markupsafe import Markup
from rich.console import Console
from rich.table import Table

from tutorloop.present.report.trend import trend_svg
from tutorloop.run import MonitorSnapshot

__all__ = ["monitor_page", "render_monitor"]


def render_monitor(console: Console, snapshot: MonitorSnapshot) -> None:
    """The windows, each metric of the current window, the drift tests and the alerts."""
    windows = snapshot.windows
    console.print(
        f"[bold]{snapshot.sessions}[/] sessions watched in {len(snapshot.runs)} run(s); "
        f"window {windows['window_seconds']:g}s, baseline: {windows['baseline']}; "
        f"review queue {snapshot.review_queue}",
        highlight=False,
    )
    if "current" in windows:
        cur, base = windows["current"], windows["baseline_window"]
        console.print(
            f"current  {cur['start']} → {cur['end']}  ({cur['n']} sessions)\n"
            f"baseline {base['start']} → {base['end']}  ({base['n']} sessions)",
            highlight=False,
        )
    if snapshot.note:
        console.print(f"[yellow]drift not compared:[/] {snapshot.note}", highlight=False)
    if snapshot.metrics:
        table = Table(title="Current window", title_justify="left")
        for column in ("metric", "value", "95% interval", "n"):
            table.add_column(column, justify="left" if column == "metric" else "right")
        for row in snapshot.metrics:
            table.add_row(
                row["metric"],
                f"{row['value']:.3f}",
                f"{row['low']:.3f}–{row['high']:.3f}",
                str(row["n"]),
            )
        console.print(table)
    if snapshot.drift:
        table = Table(title="Drift: current vs baseline", title_justify="left")
        for column in (
            "metric",
            "segment",
            "baseline",
            "current",
            "diff (95% CI)",
            "effect",
            "test",
            "p adj.",
            "",
        ):
            table.add_column(column, justify="left" if column in ("metric", "segment") else "right")
        for row in snapshot.drift:
            segment = f"{row['split']}={row['segment']}" if row["split"] else "all"
            low, high = row["interval"]
            table.add_row(
                row["metric"],
                segment,
                f"{row['baseline']:.3f} ({row['baseline_n']})",
                f"{row['current']:.3f} ({row['current_n']})",
                f"{row['difference']:+.3f} ({low:+.3f}, {high:+.3f})",
                f"{row['effect']:+.2f}",
                row["test"],
                f"{row['p_adjusted']:.2g}",
                "[red]drift[/]" if row["significant"] else "",
            )
        console.print(table)
    table = Table(title="Alerts", title_justify="left")
    for column in ("rule", "opened", "closed", "summary"):
        table.add_column(column, overflow="fold")
    for alert in snapshot.alerts:
        closed = alert["closed_at"] or "[red]open[/]"
        table.add_row(alert["rule"], alert["opened_at"], closed, alert["summary"] or "")
    if not snapshot.alerts:
        table.add_row("—", "", "", "no alert raised")
    console.print(table)
    if snapshot.pending_deliveries:
        console.print(f"[yellow]{snapshot.pending_deliveries} webhook delivery(ies) pending[/]")


def monitor_page(metric: str, series: Sequence[Mapping[str, Any]], step: float) -> str:
    """A self-contained HTML page with ``metric``'s trend (no script, no network)."""
    chart = trend_svg(series, metric) if series else Markup("<p>No sessions watched yet.</p>")
    rows = "".join(
        f"<tr><td>{escape_html(p['time'])}</td><td>{p['value']:.3f}</td>"
        f"<td>{p['low']:.3f}–{p['high']:.3f}</td><td>{p['n']}</td></tr>"
        for p in series
    )
    title = escape_html(metric)
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>tutorloop monitor: {title}</title>"
        "<style>body{font-family:Arial,sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{padding:2px 8px;border-bottom:1px solid #ddd;text-align:right}</style></head>"
        f"<body><h1>{title}</h1><p>per {step:g} seconds of session time</p>{chart}"
        "<table><tr><th>time</th><th>value</th><th>95% interval</th><th>n</th></tr>"
        f"{rows}</table></body></html>"
    )
