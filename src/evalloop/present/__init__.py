"""Present results to people: terminal tables and progress bars, the self-contained HTML report."""

from .report import build_report, write_report
from .terminal import progress_bar, render_problems, render_summary

__all__ = ["build_report", "progress_bar", "render_problems", "render_summary", "write_report"]
