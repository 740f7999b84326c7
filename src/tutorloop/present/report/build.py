"""Render a stored run as one self-contained HTML report (inline CSS and SVG, no scripts)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

from tutorloop._version import __version__
from tutorloop.present.report import view
from tutorloop.present.report.data import ReportData, ReportOptions, collect
from tutorloop.store import atomic_write_text


@cache
def environment() -> Environment:
    """The report's Jinja environment: package templates, autoescape on, strict undefined."""
    env = Environment(
        loader=PackageLoader("tutorloop.present.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["pct"] = _pct
    env.filters["num"] = _num
    env.filters["signed"] = _signed
    env.filters["breakable"] = _breakable
    return env


def render_report(data: ReportData, *, generated_at: str | None = None) -> str:
    """The HTML document for ``data``."""
    template = environment().get_template("report.html.j2")
    return template.render(
        d=data,
        charts=view.render_charts(data),
        dashboard=view.dashboard(data),
        checks=view.check_names(data),
        condition_rates={c: data.summary.conditions[c].checks for c in data.conditions},
        domain_rates=view.domain_rates(data),
        persona_rates=view.persona_rates(data),
        generated_at=generated_at or datetime.now(UTC).isoformat(timespec="seconds"),
        version=__version__,
    )


def build_report(run_id: str, options: ReportOptions | None = None) -> str:
    """One self-contained HTML report of run ``run_id``, read from the store in streaming passes.

    ``options`` name the store, a run to compare with (side A, the reference; this run is side
    B), the gate policy, the size of the review queue and any human labels.

    Returns:
        The HTML document: inline CSS and SVG charts, no scripts, no external resources.

    Raises:
        ConfigError: ``max_sessions`` is negative or the policy file is unusable.
        StoreError: the store cannot be read, or a run is not in it.
    """
    return render_report(collect(run_id, options))


def write_report(run_id: str, out: Path | str, options: ReportOptions | None = None) -> Path:
    """Build the report of ``run_id`` (see :func:`build_report`) and write it atomically to ``out``.

    Returns:
        The path written.

    Raises:
        ConfigError: ``max_sessions`` is negative or the policy file is unusable.
        StoreError: the store cannot be read, a run is not in it, or ``out`` cannot be written.
    """
    target = Path(out)
    atomic_write_text(target, build_report(run_id, options))
    return target


def _pct(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{100 * value:.{digits}f}%"


def _num(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _signed(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:+.{digits}f}"


def _breakable(value: str) -> Markup:
    """``value`` escaped, with line-break chances after dots and underscores (metric names)."""
    return Markup(re.sub(r"([._])(?=[A-Za-z])", r"\1<wbr>", str(escape(value))))
