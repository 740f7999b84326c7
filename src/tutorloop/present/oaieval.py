"""The terminal output of ``tutorloop oaieval``: the final report as oaieval prints it."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from tutorloop.records import OaiEvalReport

__all__ = ["render_final_report"]


def render_final_report(console: Console, report: OaiEvalReport) -> None:
    """``Final report:``, one ``key: value`` line per field, then the run's id and counts."""
    console.print("Final report:", highlight=False)
    for key, value in report.final_report.items():
        console.print(f"{escape(key)}: {value}", highlight=False)
    errored = f", {report.errored} errored" if report.errored else ""
    console.print(
        f"Run completed: {report.run_id} ({report.eval_name}, {report.class_name}, "
        f"{report.samples} samples{errored}, model {escape(report.model)})",
        highlight=False,
    )
