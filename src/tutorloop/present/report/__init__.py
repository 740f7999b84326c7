"""The HTML report of a run: one self-contained file with charts, gates and the review queue."""

from .build import build_report, render_report, write_report
from .data import ReportData, ReportOptions, collect
from .labels import ExtraSection, label_sections

__all__ = [
    "ExtraSection",
    "ReportData",
    "ReportOptions",
    "build_report",
    "collect",
    "label_sections",
    "render_report",
    "write_report",
]
