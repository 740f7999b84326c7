"""The alignment benchmark runner: models × personas × adversarial tests, judged, resumable."""

from .config import DEFAULT_JUDGE_MODEL, AlignConfig, AlignRunRecord, parse_list
from .dataset import (
    PLACEHOLDERS,
    REQUIRED_KEYS,
    AlignItem,
    bundled_align_dataset,
    check_dataset,
    iter_dataset,
)
from .personas import AlignPersona, align_personas, persona_system_prompt, resolve_personas
from .rejudge import RejudgeOptions, RejudgeReport, rejudge_run, salvage_run
from .runner import AlignReport, run_align, run_align_async
from .scoring import FatalModelError
from .summary import AlignSummary, GroupStats, PreferenceStats, summarize_rows

__all__ = [
    "DEFAULT_JUDGE_MODEL",
    "PLACEHOLDERS",
    "REQUIRED_KEYS",
    "AlignConfig",
    "AlignItem",
    "AlignPersona",
    "AlignReport",
    "AlignRunRecord",
    "AlignSummary",
    "FatalModelError",
    "GroupStats",
    "PreferenceStats",
    "RejudgeOptions",
    "RejudgeReport",
    "align_personas",
    "bundled_align_dataset",
    "check_dataset",
    "iter_dataset",
    "parse_list",
    "persona_system_prompt",
    "rejudge_run",
    "resolve_personas",
    "run_align",
    "run_align_async",
    "salvage_run",
    "summarize_rows",
]
