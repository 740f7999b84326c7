"""The judge never grades its own outputs: a guard for callers that take arbitrary records.

:meth:`StructuredJudge.judge` takes a trajectory (a list of :class:`~tutorloop.records.Turn`),
never a file, so a judge result cannot reach it by accident through the loader. Callers that
accept arbitrary records (files, dicts, JSON lines) call :func:`ensure_gradable` first.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from tutorloop.records import EvalResult, GraderResult

_RESULT_KEYS = ("pedagogical_fidelity_score", "checks")
_GRADER_RESULT_KEYS = ("name", "type", "version", "checks")


def _looks_like_result(value: Any, depth: int = 0) -> bool:
    if isinstance(value, EvalResult) or (isinstance(value, GraderResult) and value.checks):
        return True
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="python")
    if isinstance(value, str) and value.lstrip().startswith("{"):
        try:
            value = json.loads(value)
        except ValueError:
            return False
    if not isinstance(value, Mapping):
        return False
    if all(key in value for key in _RESULT_KEYS) or all(k in value for k in _GRADER_RESULT_KEYS):
        return True
    # a judge verdict or a stored grade wraps the result one level down
    return depth < 2 and any(
        _looks_like_result(value.get(key), depth + 1) for key in ("result", "eval_result")
    )


def ensure_gradable(record: object) -> None:
    """Refuse a record that is a grading result rather than something to grade.

    Rejects an :class:`~tutorloop.records.EvalResult`, a grader result with checks, a judge
    verdict or reply, and any mapping (or JSON object text) that looks like one: it has both
    ``pedagogical_fidelity_score`` and ``checks``, or a grader result's ``name``, ``type``,
    ``version`` and ``checks``, directly or under ``result``.

    Raises:
        ValueError: ``record`` is a grading result; the judge never grades its own outputs.
    """
    if _looks_like_result(record):
        raise ValueError(
            "refusing to grade a grading result (it has the 'checks' of an EvalResult or a "
            "grader result): the judge never grades its own outputs; pass a session or a "
            "replay artifact instead"
        )
