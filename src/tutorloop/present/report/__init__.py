"""The HTML report of a run: one self-contained file with charts, gates and the review queue."""

from .build import build_report, render_report, write_report
from .data import ReportData, ReportOptions, collect
from .labels import ExtraSection, label_sections
from .sources import Trajectories, Wanted, find_trajectories

__all__ = [
    "ExtraSection",
    "ReportData",
    "ReportOptions",
    "Trajectories",
    "Wanted",
    "build_report",
    "collect",
    "find_trajectories",
    "label_sections",
    "render_report",
    "write_report",
]
