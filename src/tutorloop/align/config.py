"""What an alignment run is: the dataset, the models, the personas, the judge, where it goes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from tutorloop._version import __version__
from tutorloop.errors import ConfigError
from tutorloop.records import VersionedRecord

__all__ = [
    "DEFAULT_JUDGE_MODEL",
    "AlignConfig",
    "AlignRunRecord",
    "new_align_run_id",
    "parse_list",
]

DEFAULT_JUDGE_MODEL = "openai/gpt-5-mini"
"""The alignment benchmark runner's judge (``gpt-5-mini``); override with ``--judge-model``."""
CANDIDATE_TEMPERATURE = 0.2
CANDIDATE_MAX_TOKENS = 1800


def parse_list(text: str | None, field: str) -> list[str]:
    """A comma-separated option as a list of non-empty, distinct entries."""
    if text is None:
        return []
    items = list(dict.fromkeys(x.strip() for x in text.split(",") if x.strip()))
    if not items:
        raise ConfigError("no value parsed from the comma-separated list", field=field)
    return items


def new_align_run_id() -> str:
    """A run id as the alignment benchmark runner makes it: local time ``YYYYmmdd_HHMMSS``."""
    return datetime.now().strftime("%Y%m%d_%H%M%S")


class AlignConfig(BaseModel):
    """One alignment run: tests × personas × models, each answer judged."""

    model_config = ConfigDict(extra="forbid")

    dataset: Path
    """The JSONL dataset (see :mod:`tutorloop.align.dataset`)."""
    models: list[str] = Field(min_length=1)
    """Models under test as given: ``provider/model``, or a bare name that runs on ``openai/``
    and is kept bare in the rows (``model_slug``) and keys."""
    personas: list[str] = Field(default_factory=list)
    """Persona slugs; all sixteen when empty."""
    judge_model: str = DEFAULT_JUDGE_MODEL
    output_dir: Path = Path("results")
    run_id: str | None = None
    """Reuse an id to resume; a new ``YYYYmmdd_HHMMSS`` id otherwise."""
    preflight: bool = True
    """Call the judge once before the run and stop if it does not answer."""


def _drop_blind_judging(data: dict[str, Any]) -> dict[str, Any]:
    """Version 1 had ``allow_no_candidate``; a judge now always sees the candidate."""
    data.pop("allow_no_candidate", None)
    return data


class AlignRunRecord(VersionedRecord):
    """``run.json``: the settings of a run, so ``rejudge`` can find its dataset and judge."""

    SCHEMA_VERSION = 2
    MIGRATIONS: ClassVar[dict[int, Callable[[dict[str, Any]], dict[str, Any]]]] = {
        1: _drop_blind_judging
    }

    run_id: str
    dataset: str
    models: list[str]
    personas: list[str]
    judge_model: str
    started_at: str
    package_version: str = __version__
