"""The project config file, ``tutorloop.yaml``: one place for a project's models and settings.

It holds the models and endpoints of each role (``tutor``, ``learner``, ``judge``, ``grader``,
and any other named endpoint a grader spec may call), the call limits, the replay conditions,
the grading thresholds, the release-gate policy, the graders and the paths. Sources, each
overriding the one before: the file, then environment variables ``TUTORLOOP_<SECTION>__<FIELD>``
(e.g. ``TUTORLOOP_CALLS__CONCURRENCY=4``, ``TUTORLOOP_ENDPOINTS__JUDGE__BASE_URL=...``), then the
command's flags. Only the *names* of key variables are held; keys stay in the environment.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from tutorloop.decide import DecideConfig
from tutorloop.generate import CallPolicy, Endpoint
from tutorloop.pulse import GatePolicy
from tutorloop.records import Condition, Mode, Severity

CONFIG_FILE = "tutorloop.yaml"
"""The project config file's name, looked up in the current directory."""
CONFIG_ENV = "TUTORLOOP_CONFIG"
"""The environment variable naming the config file instead."""
ENV_PREFIX = "TUTORLOOP_"
"""Environment variables ``TUTORLOOP_<SECTION>__<FIELD>`` override the file."""
CONFIG_SCHEMA_VERSION = 1


class Calls(BaseModel):
    """How models are called: limits, retries, timeout, cache (every role)."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    concurrency: int = Field(default=8, ge=1)
    """Calls in flight at once, per provider + base URL + key."""
    rps: float | None = Field(default=None, gt=0)
    """Requests per second, per provider + base URL + key (none: unlimited)."""
    timeout_s: float = Field(default=60.0, gt=0)
    """Seconds per call attempt."""
    max_retries: int = Field(default=5, ge=0)
    """Retries after the first attempt (429, 5xx, timeouts), honouring Retry-After."""
    cache: bool = True
    """Reuse answers to identical requests from the on-disk cache."""
    cache_scope: Literal["run", "global"] = "global"
    """``global``: any run may reuse an answer; ``run``: only the run that paid for it."""
    cache_ttl_s: float | None = Field(default=30 * 24 * 3600.0, gt=0)
    """How long other runs may reuse a cached answer, in seconds (none: for ever)."""
    prices: Path | None = None
    """A YAML file of price overrides, model by model, over the maintained table."""

    def policy(self) -> CallPolicy:
        """The Model wrapper's call policy."""
        return CallPolicy(
            concurrency=self.concurrency,
            rps=self.rps,
            timeout_s=self.timeout_s,
            max_retries=self.max_retries,
            cache=self.cache,
            cache_scope=self.cache_scope,
            cache_ttl_s=self.cache_ttl_s,
            prices_path=self.prices,
        )


_BASE_OVERLAY: list[Condition] = ["base", "overlay"]


class ReplaySection(BaseModel):
    """What ``tutorloop replay`` replays (the tutor and learner models are endpoints)."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    conditions: list[Condition] = Field(default_factory=lambda: _BASE_OVERLAY[:], min_length=1)
    """``human`` (the logged tutor), ``base`` (no overlay), ``overlay``."""
    mode: Mode = "teacher_forced"
    """``teacher_forced`` (each reply on the logged history) or ``free_running``."""
    overlay: Path | None = None
    """The overlay text file (default: the bundled Study Mode overlay)."""
    personas: list[str] = Field(default_factory=list)
    """Simulated learners (bundled slugs or YAML files); ``free_running`` only."""
    max_turns: int = Field(default=6, ge=1)
    """Learner turns in a persona conversation."""


class GradeSection(BaseModel):
    """How ``tutorloop grade`` grades, beyond the heuristics (the judge is an endpoint)."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    graders: Path | None = None
    """An OpenAI Evals ``testing_criteria`` file (YAML/JSON); a grader's ``model`` may name an
    endpoint of this file (``judge``), or be ``provider/model``."""
    grader_model: str | None = None
    """Replaces the model of every model grader (``provider/model``)."""
    judge_all: bool = False
    """Judge every session, not only those where a heuristic is unsure."""
    heuristics: Path | None = None
    """A YAML file of heuristic thresholds and cues."""
    embedding_model: str | None = None
    """For ``text_similarity`` ``cosine``: the model that embeds both texts."""


class Thresholds(BaseModel):
    """The decision's thresholds, and how many errored items a run tolerates."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    fidelity: float = Field(default=0.6, ge=0.0, le=1.0)
    """Escalate a session below this pedagogical fidelity."""
    escalate_min_severity: Severity = "high"
    """Escalate any session with a failure at least this severe."""
    escalate_on_unsure: bool = False
    """Escalate sessions where a check is unsure (when no judge settles it)."""
    fail_on_error: float = Field(default=0, ge=0)
    """Errored items a run tolerates: a count (3) or a fraction below 1 (0.1)."""

    def decide(self) -> DecideConfig:
        """The decision policy these thresholds give."""
        return DecideConfig(
            fidelity_threshold=self.fidelity,
            escalate_min_severity=self.escalate_min_severity,
            escalate_on_unsure=self.escalate_on_unsure,
        )


class Paths(BaseModel):
    """Where a project's inputs and outputs are (relative to the config file's folder)."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    sessions: list[Path] = Field(default_factory=list)
    """Session files or folders (any supported log format)."""
    store: Path | None = None
    """The SQLite store (default: ``.tutorloop/tutorloop.db``)."""
    artifacts: Path | None = None
    """Replay artifact files (default: ``artifacts/<run id>`` beside the store)."""
    status_json: Path | None = None
    """The PULSE status.json ``tutorloop gate`` writes."""
    report: Path | None = None
    """The HTML report file."""


_FILE_DATA: ContextVar[dict[str, Any] | None] = ContextVar("tutorloop_config_file", default=None)


class _FileSource(PydanticBaseSettingsSource):
    """The parsed config file (read and checked by :func:`~tutorloop.project.load_project`)."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        data = _FILE_DATA.get() or {}
        return data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(_FILE_DATA.get() or {})


@contextmanager
def file_data(data: dict[str, Any]) -> Iterator[None]:
    """Make ``data`` the file source of :class:`ProjectConfig` built inside the block."""
    token = _FILE_DATA.set(data)
    try:
        yield
    finally:
        _FILE_DATA.reset(token)


class ProjectConfig(BaseSettings):
    """A project's ``tutorloop.yaml``: every setting of its runs in one file."""

    model_config = SettingsConfigDict(
        extra="forbid",
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        case_sensitive=False,
        validate_default=True,
        use_attribute_docstrings=True,
        title="tutorloop project config",
    )

    schema_version: int = CONFIG_SCHEMA_VERSION
    """The config format's version (this tutorloop reads 1)."""
    endpoints: dict[str, Endpoint] = Field(default_factory=dict)
    """Each role's model and provider: ``tutor``, ``learner``, ``judge``, ``grader``, or any name
    a grader spec's ``model`` may call. ``key_env`` names the variable holding the key."""
    calls: Calls = Field(default_factory=Calls)
    replay: ReplaySection = Field(default_factory=ReplaySection)
    grade: GradeSection = Field(default_factory=GradeSection)
    thresholds: Thresholds = Field(default_factory=Thresholds)
    policy: GatePolicy | None = None
    """The release gates ``tutorloop gate`` evaluates (default: the bundled policy). Each gate
    is ``metric op number``; metric names are checked when the file is loaded."""
    paths: Paths = Field(default_factory=Paths)

    @field_validator("schema_version")
    @classmethod
    def _known_version(cls, value: int) -> int:
        if value > CONFIG_SCHEMA_VERSION:
            raise ValueError(
                f"schema_version {value} is newer than this tutorloop reads "
                f"({CONFIG_SCHEMA_VERSION}): upgrade tutorloop"
            )
        if value < 1:
            raise ValueError("schema_version starts at 1")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Flags (init) over ``TUTORLOOP_*`` environment variables over the file."""
        assert isinstance(init_settings, InitSettingsSource)
        assert isinstance(env_settings, EnvSettingsSource)
        return init_settings, env_settings, _FileSource(settings_cls)

    def model_of(self, role: str) -> str | None:
        """The ``provider/model`` of the endpoint called ``role`` (None when it has none)."""
        endpoint = self.endpoints.get(role)
        return endpoint.model if endpoint is not None else None
