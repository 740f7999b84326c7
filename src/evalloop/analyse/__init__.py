"""Analyses over stored results: run summaries (agreement, calibration and A/B join later)."""

from .summary import CheckRate, ConditionSummary, QueueEntry, RunSummary, summarize

__all__ = ["CheckRate", "ConditionSummary", "QueueEntry", "RunSummary", "summarize"]
