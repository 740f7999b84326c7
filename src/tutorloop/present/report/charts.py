"""The report's charts: Vega-Lite specs built with altair, rendered offline to inline SVG."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

import altair as alt
import vl_convert as vlc
from markupsafe import Markup

from tutorloop.analyse import AgreementScore, CheckRate, Comparison, PolicyCost

FONT = "Arial, 'Liberation Sans', Helvetica, Roboto, sans-serif"
"""Arial-metric fonts first: vl-convert lays labels out with the same widths a browser draws."""
PALETTE = {"human": "#7a8794", "base": "#e8833a", "overlay": "#2f6fdb", "-": "#2f6fdb"}
EXTRA_COLOURS = ("#8e5bd0", "#1b9e77", "#d95f02", "#e7298a", "#66a61e")
CONFIG: dict[str, Any] = {
    "font": FONT,
    "background": "white",
    "padding": {"left": 12, "right": 16, "top": 6, "bottom": 6},
    "view": {"stroke": None},
    "axis": {"labelFontSize": 12.5, "titleFontSize": 12.5, "titleFontWeight": 600,
             "labelColor": "#333", "titleColor": "#333", "gridColor": "#e8e8e8",
             "domainColor": "#999", "tickColor": "#999", "labelLimit": 240},
    "legend": {"labelFontSize": 12, "titleFontSize": 12, "orient": "top", "title": None},
    "title": {"fontSize": 13, "anchor": "start"},
}  # fmt: skip
_XMLNS = re.compile(r'\s+xmlns(?::\w+)?="[^"]*"')
_WIDTH = re.compile(r'<svg[^>]*?\swidth="(\d+)')
_BINS = 10
ZOOM = 1.1
"""How much larger than drawn a chart may grow on a wide screen (it shrinks to fit a phone)."""
CARD_WIDTH = 1030
"""The width of a report card's content (``.wrap`` less the section's padding and border):
every chart is drawn this wide, axis labels and legend included, and shrinks with the card."""
FIT = alt.AutoSizeParams(type="fit-x", contains="padding")


@cache
def _vl_version() -> str | None:
    """The Vega-Lite version altair writes for, if vl-convert has it (else vl-convert's own)."""
    major, minor, *_ = alt.SCHEMA_VERSION.lstrip("v").split(".")
    wanted = f"{major}.{minor}"
    return wanted if wanted in vlc.get_vegalite_versions() else None


def to_svg(chart: alt.TopLevelMixin) -> Markup:
    """Render ``chart`` to an inline ``<svg>`` (no network, no script, no namespace URLs)."""
    spec = chart.to_dict()
    spec.pop("$schema", None)
    svg = vlc.vegalite_to_svg(spec, vl_version=_vl_version(), config=CONFIG, allowed_base_urls=[])
    if re.search(r"<\s*(script|foreignObject)", svg, re.IGNORECASE):
        raise ValueError("vl-convert produced an SVG with active content; refusing to inline it")
    svg = _XMLNS.sub("", svg, count=4)  # inline SVG in HTML needs no namespace declarations
    width = _WIDTH.search(svg)
    grow = f' style="max-width: {round(int(width[1]) * ZOOM)}px"' if width else ""
    svg = svg.replace("<svg ", f'<svg role="img"{grow} ', 1)
    return Markup(svg)  # vl-convert escapes every text and attribute it writes


def _legend(groups: int) -> alt.Legend | None:
    """A legend only when there is more than one group to tell apart."""
    return alt.Legend() if groups > 1 else None


def _colours(groups: Sequence[str]) -> alt.Scale:
    extra = iter(EXTRA_COLOURS * 4)
    return alt.Scale(domain=list(groups), range=[PALETTE.get(g) or next(extra) for g in groups])


def check_rates(
    checks: Sequence[str], by_condition: Mapping[str, Mapping[str, CheckRate]]
) -> Markup:
    """Pass rate of every check, one bar per condition."""
    rows = [
        {"check": name, "condition": cond, "pass_rate": rate.pass_rate}
        for name in checks
        for cond, rates in by_condition.items()
        if (rate := rates.get(name)) is not None and rate.total
    ]
    step = 14 if len(by_condition) > 1 else 18
    chart = (
        alt.Chart(alt.InlineData(values=rows))
        .mark_bar(cornerRadiusEnd=2)
        .encode(
            y=alt.Y("check:N", sort=list(checks), title=None),
            yOffset=alt.YOffset("condition:N", sort=list(by_condition)),
            x=alt.X("pass_rate:Q", title="pass rate", scale=alt.Scale(domain=[0, 1]),
                    axis=alt.Axis(format="%", tickCount=5)),
            color=alt.Color("condition:N", scale=_colours(list(by_condition)),
                            legend=_legend(len(by_condition))),
        )
        .properties(width=CARD_WIDTH, height=alt.Step(step), autosize=FIT)
    )  # fmt: skip
    return to_svg(chart)


def fidelity_histogram(histogram: Mapping[str, Sequence[int]]) -> Markup:
    """Sessions per fidelity bin (0.1 wide), one bar per condition."""
    labels = [f"{i / _BINS:.1f}–{(i + 1) / _BINS:.1f}" for i in range(_BINS)]
    rows = [
        {"bin": labels[i], "condition": cond, "sessions": count}
        for cond, counts in histogram.items()
        for i, count in enumerate(counts)
    ]
    chart = (
        alt.Chart(alt.InlineData(values=rows))
        .mark_bar(cornerRadiusEnd=2)
        .encode(
            x=alt.X("bin:O", sort=labels, title="pedagogical fidelity",
                    axis=alt.Axis(labelAngle=0, labelFontSize=10)),
            xOffset=alt.XOffset("condition:N", sort=list(histogram)),
            y=alt.Y("sessions:Q", title="sessions", axis=alt.Axis(tickMinStep=1)),
            color=alt.Color("condition:N", scale=_colours(list(histogram)),
                            legend=_legend(len(histogram))),
        )
        .properties(width=CARD_WIDTH, height=200, autosize=FIT)
    )  # fmt: skip
    return to_svg(chart)


def counts_bar(counts: Mapping[str, Mapping[str, int]], *, title: str) -> Markup:
    """Horizontal bars of ``{label: {series: count}}`` (e.g. sessions and escalated per class)."""
    series = list(dict.fromkeys(s for values in counts.values() for s in values))
    rows = [
        {"label": label, "series": s, "count": n}
        for label, values in counts.items()
        for s, n in values.items()
    ]
    colours = alt.Scale(domain=series, range=["#2f6fdb", "#d1453b", *EXTRA_COLOURS][: len(series)])
    encoding: dict[str, Any] = {
        "y": alt.Y("label:N", sort=list(counts), title=None),
        "x": alt.X("count:Q", title=title, axis=alt.Axis(tickMinStep=1)),
        "color": alt.Color("series:N", scale=colours, legend=_legend(len(series))),
    }  # fmt: skip
    if len(series) > 1:
        encoding["yOffset"] = alt.YOffset("series:N", sort=series)
    chart = (
        alt.Chart(alt.InlineData(values=rows))
        .mark_bar(cornerRadiusEnd=2)
        .encode(**encoding)
        .properties(width=CARD_WIDTH, height=alt.Step(14 if len(series) > 1 else 20), autosize=FIT)
    )
    return to_svg(chart)


def domain_heatmap(
    checks: Sequence[str], by_domain: Mapping[str, Mapping[str, CheckRate]]
) -> Markup:
    """Pass rate of each check (rows) in each domain (columns), with the percentage written in."""
    rows = [
        {"check": name, "domain": domain, "pass_rate": rate.pass_rate, "n": rate.total}
        for domain, rates in by_domain.items()
        for name in checks
        if (rate := rates.get(name)) is not None and rate.total
    ]
    base = alt.Chart(alt.InlineData(values=rows)).encode(
        y=alt.Y("check:N", sort=list(checks), title=None),
        x=alt.X("domain:N", sort=list(by_domain), title=None,
                axis=alt.Axis(orient="top", labelAngle=0)),
    )  # fmt: skip
    ramp = alt.Scale(domain=[0, 0.5, 1], range=["#d1453b", "#f3d37a", "#3a9d5d"])
    cells = base.mark_rect(stroke="white", strokeWidth=2).encode(
        color=alt.Color("pass_rate:Q", title="pass rate", scale=ramp,
                        legend=alt.Legend(format="%", orient="right", gradientLength=120)),
    )  # fmt: skip
    text = base.mark_text(fontSize=11, fontWeight=600).encode(
        text=alt.Text("pass_rate:Q", format=".0%"), color=alt.value("#1d1d1d")
    )
    chart = alt.layer(cells, text).properties(width=CARD_WIDTH, height=alt.Step(24), autosize=FIT)
    return to_svg(chart)


def ab_dumbbell(comparison: Comparison) -> Markup:
    """Each check's pass rate on side A and side B, joined by a line (the delta)."""
    a, b = comparison.label_a, comparison.label_b
    rows = []
    for check in comparison.checks:
        rows.append({"check": check.name, "side": a, "rate": check.pass_rate_a})
        rows.append({"check": check.name, "side": b, "rate": check.pass_rate_b})
    order = [c.name for c in comparison.checks]
    base = alt.Chart(alt.InlineData(values=rows)).encode(
        y=alt.Y("check:N", sort=order, title=None),
        x=alt.X("rate:Q", title="pass rate", scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format="%", tickCount=5)),
    )  # fmt: skip
    line = base.mark_line(color="#b5b5b5", strokeWidth=2).encode(detail="check:N")
    colours = alt.Scale(domain=[a, b], range=[PALETTE.get(a, "#7a8794"), PALETTE.get(b, "#2f6fdb")])
    dots = base.mark_point(filled=True, size=90, opacity=1).encode(
        color=alt.Color("side:N", scale=colours, sort=[a, b])
    )
    return to_svg(
        alt.layer(line, dots).properties(width=CARD_WIDTH, height=alt.Step(22), autosize=FIT)
    )


def kappa_chart(scores: list[AgreementScore]) -> Markup:
    """Cohen's κ of each grader version and dimension, with its bootstrap interval."""
    rows = [
        {
            "row": f"{s.dimension} · {s.grader}",
            "kappa": s.kappa,
            "low": s.ci.get("kappa", (s.kappa, s.kappa))[0],
            "high": s.ci.get("kappa", (s.kappa, s.kappa))[1],
        }
        for s in scores
    ]
    data = alt.InlineData(values=rows)
    y = alt.Y("row:N", title=None, sort=None)
    bars = (
        alt.Chart(data)
        .mark_bar(color="#2f6fdb", opacity=0.85)
        .encode(x=alt.X("kappa:Q", title="Cohen's κ", scale=alt.Scale(domain=[-0.2, 1])), y=y)
    )
    interval = alt.Chart(data).mark_rule(color="#333").encode(x="low:Q", x2="high:Q", y=y)
    chart = (bars + interval).properties(width=CARD_WIDTH, height=alt.Step(18), autosize=FIT)
    return to_svg(chart)


def cost_chart(costs: list[PolicyCost]) -> Markup:
    """Dollars per period of each policy's errors."""
    rows = [{"policy": c.policy, "total": round(c.total, 2)} for c in costs]
    chart = (
        alt.Chart(alt.InlineData(values=rows))
        .mark_bar(color="#e8833a")
        .encode(
            x=alt.X("total:Q", title="dollars per period"),
            y=alt.Y("policy:N", title=None, sort=None),
        )
        .properties(width=CARD_WIDTH, height=alt.Step(22), autosize=FIT)
    )
    return to_svg(chart)
