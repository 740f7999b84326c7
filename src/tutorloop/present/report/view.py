"""What the template needs beyond :class:`ReportData`: its charts and derived tables."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup

from tutorloop.analyse import CheckRate, Comparison
from tutorloop.present.report.data import ReportData
from tutorloop.records import StudyModeCheck


@dataclass(frozen=True)
class Row:
    """A labelled table row of already formatted cells."""

    label: str
    cells: list[str]


@dataclass(frozen=True)
class Charts:
    """The report's inline SVG charts (None where there is nothing to draw)."""

    check_rates: Markup | None
    domain_checks: Markup | None
    fidelity: Markup | None
    domains: Markup | None
    failures: Markup | None
    conditions_ab: Markup | None
    runs_ab: Markup | None
    personas: Markup | None = None


def check_names(data: ReportData) -> list[str]:
    """Every check of the run, in the order the run met them."""
    return list(data.summary.checks)


def domain_rates(data: ReportData) -> dict[str, dict[str, CheckRate]]:
    """Check rates per domain, domains in order of their session count."""
    order = list(data.summary.domains)
    by_domain = data.tally.domain_checks
    return {d: by_domain[d] for d in sorted(by_domain, key=lambda d: (_index(order, d), d))}


def persona_rates(data: ReportData) -> dict[str, dict[str, CheckRate]]:
    """Check rates per learner persona, when the run varies the persona (else empty)."""
    by_persona = data.tally.persona_checks
    return dict(sorted(by_persona.items())) if len(by_persona) > 1 else {}


def dashboard(data: ReportData) -> list[Row]:
    """The Study Mode dashboard numbers for the whole run and for each condition."""
    summary = data.summary
    groups: list[tuple[int, dict[str, CheckRate], float, int]] = [
        (summary.items, summary.checks, sum(data.tally.questions.values()), summary.escalated)
    ]
    if len(data.conditions) > 1:
        for name in data.conditions:
            c = summary.conditions[name]
            groups.append((c.items, c.checks, data.tally.questions.get(name, 0.0), c.escalated))
    rows = {
        "% diagnosis first": [
            _pct(checks.get(StudyModeCheck.DIAGNOSIS_FIRST)) for _, checks, *_ in groups
        ],
        "questions per tutor turn": [f"{q / n:.2f}" if n else "–" for n, _, q, _ in groups],
        "% reinforcement": [
            _pct(checks.get(StudyModeCheck.CHECK_REINFORCE)) for _, checks, *_ in groups
        ],
        "% escalated": [f"{100 * e / n:.1f}%" if n else "–" for n, _, _, e in groups],
    }
    return [Row(label, cells) for label, cells in rows.items()]


def render_charts(data: ReportData) -> Charts:
    """Draw every chart the data supports."""
    from tutorloop.present.report import charts  # altair and vl-convert load only to draw

    summary = data.summary
    names = check_names(data)
    by_condition = {c: summary.conditions[c].checks for c in data.conditions}
    domains = domain_rates(data)
    failures = {
        name: {"sessions": count, "escalated": summary.failures_escalated.get(name, 0)}
        for name, count in sorted(summary.failures.items(), key=lambda kv: (-kv[1], kv[0]))
    }
    histogram = {c: data.tally.histogram[c] for c in data.conditions if c in data.tally.histogram}
    personas = persona_rates(data)
    return Charts(
        check_rates=charts.check_rates(names, by_condition) if names else None,
        domain_checks=charts.domain_heatmap(names, domains) if names and domains else None,
        fidelity=charts.fidelity_histogram(histogram) if histogram else None,
        domains=(
            charts.counts_bar({d: {"sessions": n} for d, n in summary.domains.items()},
                              title="sessions")
            if summary.domains else None
        ),
        failures=charts.counts_bar(failures, title="sessions") if failures else None,
        conditions_ab=_ab(data.conditions_ab),
        runs_ab=_ab(data.runs_ab),
        personas=charts.check_rates(names, personas) if names and personas else None,
    )  # fmt: skip


def _ab(comparison: Comparison | None) -> Markup | None:
    if comparison is None or not comparison.pairs or not comparison.checks:
        return None
    from tutorloop.present.report import charts

    return charts.ab_dumbbell(comparison)


def _pct(rate: CheckRate | None) -> str:
    return f"{100 * rate.pass_rate:.1f}%" if rate is not None and rate.total else "–"


def _index(order: list[str], name: str) -> int:
    return order.index(name) if name in order else len(order)
