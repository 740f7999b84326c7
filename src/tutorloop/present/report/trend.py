"""The report's trend section: watched sessions' metrics over a time range, from the watch runs.

A report of a watch run (``watch-<bucket>``) shows the trend over that run's bucket; any report
can ask for a range with :attr:`~tutorloop.present.report.data.ReportOptions.trend_since` and
``trend_until`` (epoch seconds), drawn per ``trend_step`` seconds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import altair as alt
from markupsafe import Markup

from tutorloop.present.report.charts import to_svg
from tutorloop.present.report.labels import ExtraSection
from tutorloop.records import RunManifest
from tutorloop.run import metric_series
from tutorloop.store import Store

__all__ = ["TREND_METRICS", "trend_sections", "trend_svg"]

TREND_METRICS = (
    "escalation",
    "fidelity",
    "check:no_direct_answer_initially",
    "check:diagnosis_first",
)
"""The metrics the trend section draws."""


def trend_svg(series: Sequence[Mapping[str, Any]], metric: str) -> Markup:
    """One metric over time as an inline SVG: the value per step with its 95% interval."""
    rows = [
        {
            "time": point["time"],
            "value": point["value"],
            "low": point["low"],
            "high": point["high"],
            "n": point["n"],
        }
        for point in series
    ]
    base = alt.Chart(alt.InlineData(values=rows)).encode(x=alt.X("time:T", title="time (UTC)"))
    band = base.mark_area(opacity=0.2, color="#2f6fdb").encode(
        y=alt.Y("low:Q", title=metric), y2="high:Q"
    )
    line = base.mark_line(point=True, color="#2f6fdb").encode(
        y=alt.Y("value:Q", title=metric),
        tooltip=["time:T", "value:Q", "n:Q"],
    )
    return to_svg((band + line).properties(width=640, height=260, title=metric))


def trend_sections(
    store: Store,
    manifest: RunManifest,
    since: float | None,
    until: float | None,
    step: float | None,
) -> list[ExtraSection]:
    """The trend section, when a range is asked for or the run is a watch run (else none)."""
    watch = manifest.config.get("watch")
    if since is None and until is None and not (manifest.kind == "watch" and watch):
        return []
    bucket = float(watch.get("bucket", 86400)) if isinstance(watch, dict) else 86400.0
    if since is None and until is None:
        rows = store.watch.rows()
        mine = [r.at for r in rows if r.run_id == manifest.run_id]
        if mine:
            since, until = min(mine), max(mine) + 1e-9
    width = step or max(bucket / 12, 1.0)
    charts = []
    for metric in TREND_METRICS:
        series = metric_series(store, metric, width, since, until)
        if series:
            charts.append(trend_svg(series, metric))
    if not charts:
        return []
    return [
        ExtraSection(
            anchor="trend",
            title="Trend over time",
            intro=f"Watched sessions per {width:g} seconds of session time, with 95% intervals "
            "(tutorloop monitor shows the drift tests and alerts).",
            charts=charts,
        )
    ]
