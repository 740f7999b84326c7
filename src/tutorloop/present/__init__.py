"""Present results to people: terminal tables and progress bars, the self-contained HTML report."""

from .report import ReportOptions, build_report, write_report
from .terminal import progress_bar, render_problems, render_summary

__all__ = [
    "ReportOptions",
    "build_report",
    "progress_bar",
    "render_problems",
    "render_summary",
    "write_report",
]
