"""The project config in the commands: ``tutorloop.yaml`` under the flags that override it.

A command's flags default to ``None`` ("not given"); the ones given are laid over the file and
the ``TUTORLOOP_*`` variables (:func:`tutorloop.project.load_project`). The role flags set one
role's endpoint: ``--tutor-base-url``/``--tutor-key-env``, ``--learner-base-url``/
``--learner-key-env``, ``--judge-base-url``/``--judge-key-env``; ``--base-url``, ``--api`` and
``--key-env`` stay the default of every role whose endpoint does not say where its provider is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal, cast

import typer

from tutorloop.errors import ConfigError
from tutorloop.generate import CallPolicy, ProviderSettings
from tutorloop.project import ProjectConfig, load_project

ROOT_CONFIG = "config"
"""The key of the root's ``--config`` in the Click context's ``obj``."""

TutorBaseUrl = Annotated[
    str | None,
    typer.Option("--tutor-base-url", help="The tutor's server.", show_default=False),
]
TutorKeyEnv = Annotated[
    str | None,
    typer.Option("--tutor-key-env", help="Variable holding the tutor's key.", show_default=False),
]
LearnerBaseUrl = Annotated[
    str | None,
    typer.Option("--learner-base-url", help="The learner model's server.", show_default=False),
]
LearnerKeyEnv = Annotated[
    str | None,
    typer.Option(
        "--learner-key-env", help="Variable holding the learner's key.", show_default=False
    ),
]
JudgeBaseUrl = Annotated[
    str | None,
    typer.Option("--judge-base-url", help="The judge's server.", show_default=False),
]
JudgeKeyEnv = Annotated[
    str | None,
    typer.Option("--judge-key-env", help="Variable holding the judge's key.", show_default=False),
]
KeyEnv = Annotated[
    str | None,
    typer.Option(
        "--key-env", help="Variable holding the key (default OPENAI_API_KEY).", show_default=False
    ),
]


def nested(flat: dict[str, Any]) -> dict[str, Any]:
    """``{"calls.concurrency": 4, "calls.rps": None}`` → ``{"calls": {"concurrency": 4}}``."""
    out: dict[str, Any] = {}
    for dotted, value in flat.items():
        if value is None:
            continue
        *parents, last = dotted.split(".")
        here = out
        for part in parents:
            here = here.setdefault(part, {})
        here[last] = value
    return out


def project_config(ctx: typer.Context, flags: dict[str, Any]) -> ProjectConfig:
    """The project config (root ``--config``, ``$TUTORLOOP_CONFIG`` or ``./tutorloop.yaml``)."""
    root = ctx.find_root()
    path = (root.obj or {}).get(ROOT_CONFIG) if isinstance(root.obj, dict) else None
    return load_project(path, nested(flags))


def default_settings(
    base_url: str | None, api: str | None, key_env: str | None
) -> ProviderSettings:
    """The provider settings of every role without an endpoint of its own."""
    if api is not None and api not in ("chat", "responses"):
        raise ConfigError("choose chat or responses", field="--api")
    return ProviderSettings(
        base_url=base_url,
        api=cast(Literal["chat", "responses"], api or "chat"),
        api_key_env=key_env or "OPENAI_API_KEY",
    )


def call_policy(project: ProjectConfig) -> CallPolicy:
    """The call policy of the project's ``calls`` section (flags already laid over it)."""
    return project.calls.policy()


def path_or(value: Path | None, fallback: Path | None) -> Path | None:
    """A flag's path when given, else the project's."""
    return value if value is not None else fallback
