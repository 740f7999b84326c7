"""Present results to people: every terminal table and progress bar, and the HTML report."""

from tutorloop.present.agreement import (
    render_agreement,
    render_judge_audit,
    render_label_counts,
    render_rater_agreement,
)
from tutorloop.present.align import render_align_summary
from tutorloop.present.ci_summary import append_summary, summary_markdown
from tutorloop.present.costs import render_calibration, render_costs, render_next
from tutorloop.present.gates import render_comparison, render_gates
from tutorloop.present.junit import junit_xml, write_junit
from tutorloop.present.learned import render_curve, render_cv
from tutorloop.present.monitor import monitor_page, render_monitor
from tutorloop.present.oaieval import render_final_report
from tutorloop.present.progress import progress_bar
from tutorloop.present.report import ReportOptions, build_report, write_report
from tutorloop.present.report.trend import trend_svg
from tutorloop.present.runs import render_problems, render_summary

__all__ = [
    "ReportOptions",
    "append_summary",
    "build_report",
    "junit_xml",
    "monitor_page",
    "progress_bar",
    "render_agreement",
    "render_align_summary",
    "render_calibration",
    "render_comparison",
    "render_costs",
    "render_curve",
    "render_cv",
    "render_final_report",
    "render_gates",
    "render_judge_audit",
    "render_label_counts",
    "render_monitor",
    "render_next",
    "render_problems",
    "render_rater_agreement",
    "render_summary",
    "summary_markdown",
    "trend_svg",
    "write_junit",
    "write_report",
]
