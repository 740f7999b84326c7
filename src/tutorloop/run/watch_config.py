"""How production is watched: the folder, the buckets, the windows, sampling and alert rules.

:class:`WatchConfig` is the ``watch:`` section of a YAML file (``tutorloop watch --config``,
``tutorloop monitor --config``); :func:`load_watch_config` reads it with errors that name the
file and the field.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tutorloop.errors import ConfigError
from tutorloop.generate import CallPolicy, ProviderSettings
from tutorloop.load import load_yaml_model
from tutorloop.run.model_grading import ModelGrading

__all__ = [
    "AlertRule",
    "DriftConfig",
    "SamplingPolicy",
    "WatchConfig",
    "WebhookConfig",
    "load_watch_config",
    "parse_seconds",
]

Split = Literal["model", "overlay", "domain", "persona"]
_SPLITS: tuple[Split, ...] = ("model", "overlay", "domain", "persona")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}


def parse_seconds(value: float | int | str) -> float:
    """A duration in seconds from a number or ``"90s"``, ``"15m"``, ``"1h"``, ``"1d"``, ``"1w"``.

    Raises:
        ValueError: not a positive duration.
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    else:
        match = _DURATION.match(str(value))
        if not match:
            raise ValueError(f"not a duration: {value!r} (write e.g. 30s, 15m, 1h, 1d)")
        seconds = float(match.group(1)) * _UNITS[match.group(2) or "s"]
    if seconds <= 0:
        raise ValueError(f"a duration must be positive, got {value!r}")
    return seconds


class _Durations(BaseModel):
    """A model whose duration fields take ``"1h"`` as well as seconds."""

    @field_validator("*", mode="before")
    @classmethod
    def _durations(cls, value: object, info: object) -> object:
        name = getattr(info, "field_name", "")
        if name in _DURATION_FIELDS and isinstance(value, str | int | float):
            return parse_seconds(value)
        return value


_DURATION_FIELDS = frozenset(
    {"bucket", "window", "every", "settle", "poll", "evaluate_every", "timeout"}
)


class SamplingPolicy(BaseModel):
    """Which graded sessions go into the review queue, and why (the first reason that holds)."""

    model_config = ConfigDict(extra="forbid")

    escalated: bool = True
    """Every escalated session (reason ``escalated``)."""
    passing_share: float = Field(default=0.02, ge=0, le=1)
    """A seeded random share of the sessions that pass (reason ``random``)."""
    new_version_first: int = Field(default=20, ge=0)
    """Every session of a model or overlay version among its first N (reason ``new_model`` or
    ``new_overlay``)."""
    audit_share: float = Field(default=0.0, ge=0, le=1)
    """The judge audit share: this seeded share of sessions is queued for review even where the
    heuristics are sure (reason ``audit``)."""
    seed: int = 0
    """The seed of the random shares; the same session is always drawn the same way."""


class DriftConfig(_Durations):
    """The windows drift compares, and how significance is judged."""

    model_config = ConfigDict(extra="forbid")

    window: float = 3600.0
    """The current window's length (seconds, or ``"1h"``), ending at the latest session."""
    baseline: Literal["start", "previous"] = "start"
    """The baseline window: the first window watched (``start``) or the one just before the
    current window (``previous``)."""
    clock: Literal["session", "arrival"] = "session"
    """Time a session by its own timestamp (``metadata.timestamp`` or ``started_at``, falling
    back to arrival) or by when it arrived."""
    alpha: float = Field(default=0.01, gt=0, lt=1)
    """The false discovery rate (Benjamini–Hochberg) over every test of one comparison."""
    correction: Literal["bh", "holm"] = "bh"
    min_count: int = Field(default=30, ge=1)
    """A segment with fewer sessions in either window is not tested."""
    splits: list[Split] = Field(default_factory=lambda: list(_SPLITS))
    """The segments each metric is also compared within."""


class AlertRule(_Durations):
    """One alert rule: a metric over the current window, against a threshold or the baseline."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.:-]+$")
    metric: str = Field(min_length=1)
    """``check:<name>`` (pass rate), ``failure:<class>`` (rate), ``escalation`` (rate) or
    ``fidelity`` (mean)."""
    kind: Literal["drift", "threshold"] = "drift"
    """``drift``: the metric differs significantly from the baseline (after correction) by at
    least ``min_effect``; ``threshold``: the metric is past ``threshold``."""
    direction: Literal["worse", "any"] = "worse"
    """For drift: only a change for the worse fires (lower pass rate or fidelity, higher
    failure or escalation rate), or any change."""
    threshold: float | None = None
    above: bool = True
    """For a threshold: fire when the metric is above it (else below)."""
    min_effect: float = Field(default=0.0, ge=0)
    """For drift: the smallest absolute difference in the metric that fires."""
    split: Literal["model", "overlay", "domain", "persona"] | None = None
    """Fire on any segment of this split (default: all sessions together)."""

    @model_validator(mode="after")
    def _threshold_given(self) -> AlertRule:
        if self.kind == "threshold" and self.threshold is None:
            raise ValueError(f"rule {self.name!r}: a threshold rule needs 'threshold'")
        if not re.match(r"^(check:.+|failure:.+|escalation|fidelity)$", self.metric):
            raise ValueError(
                f"rule {self.name!r}: unknown metric {self.metric!r}; use check:<name>, "
                "failure:<class>, escalation or fidelity"
            )
        return self


class WebhookConfig(_Durations):
    """Where alerts are POSTed, signed with HMAC-SHA256 of the body."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(pattern=r"^https?://")
    secret_env: str | None = "TUTORLOOP_WEBHOOK_SECRET"
    """The environment variable holding the shared secret (never the secret itself)."""
    timeout: float = 10.0
    max_backoff: float = Field(default=300.0, gt=0)
    """The longest wait between two tries of a delivery (the wait doubles from one second)."""


class WatchConfig(_Durations):
    """Everything ``tutorloop watch`` and ``POST /v1/ingest`` need."""

    model_config = ConfigDict(extra="forbid")

    folder: Path | None = None
    """The folder to follow (the command's DIR argument wins)."""
    bucket: float = 86400.0
    """One watch run per bucket of this length (``watch-<bucket start>``); ``"1h"`` or ``"1d"``."""
    settle: float = 1.0
    """A whole-file record (``.json``) is read once its size has not changed for this long."""
    poll: float = 0.5
    """How often the folder is scanned for new files and lines."""
    evaluate_every: float = 5.0
    """How often drift and the alert rules are evaluated while sessions arrive."""
    evaluate_sessions: int = Field(default=500, ge=1)
    """Also evaluate after this many newly graded sessions, so a backlog graded at full speed is
    watched as it goes, not once per ``evaluate_every`` however much it graded meanwhile."""
    models: ModelGrading = Field(default_factory=ModelGrading)
    """The judge (``judge_model``) and testing-criteria graders, as ``tutorloop grade`` takes them;
    the judge runs where a heuristic is unsure, and on the audit share of sessions."""
    calls: CallPolicy = Field(default_factory=CallPolicy)
    """Limits, retries and timeout of the watcher's model calls (the service uses its own)."""
    upstream: ProviderSettings = Field(default_factory=ProviderSettings)
    """Where the watcher's model calls go (``base_url``; the key from the environment)."""
    drift: DriftConfig = Field(default_factory=DriftConfig)
    sampling: SamplingPolicy = Field(default_factory=SamplingPolicy)
    alerts: list[AlertRule] = Field(default_factory=list)
    webhook: WebhookConfig | None = None

    @field_validator("alerts")
    @classmethod
    def _unique_rules(cls, rules: list[AlertRule]) -> list[AlertRule]:
        names = [rule.name for rule in rules]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise ValueError(f"alert rule names must be unique; repeated: {', '.join(twice)}")
        return rules


class _WatchFile(BaseModel):
    """A YAML file with a ``watch:`` section (other sections belong to other tools)."""

    model_config = ConfigDict(extra="allow")

    watch: WatchConfig = Field(default_factory=WatchConfig)


def load_watch_config(path: str | Path | None) -> WatchConfig:
    """The ``watch:`` section of the YAML file ``path`` (defaults when ``path`` is None).

    Raises:
        ConfigError: the file is missing or invalid; the message names the file and field.
    """
    if path is None:
        return WatchConfig()
    loaded = load_yaml_model(path, _WatchFile, "the watch config")
    if not isinstance(loaded.watch, WatchConfig):  # pragma: no cover - pydantic guarantees
        raise ConfigError("the 'watch' section must be a mapping", path=str(path), field="watch")
    return loaded.watch
