"""The one exception hierarchy of tutorloop.

::

    TutorloopError                  base of everything tutorloop raises on purpose
    ├── UserError                  the user can fix it; the CLI prints it without a traceback
    │   ├── LoadError              one bad input: names the file, the line or turn, and the field
    │   │   └── SchemaVersionError a record written by a newer tutorloop
    │   ├── InputProblems          many LoadErrors gathered in one pass (none dropped)
    │   ├── ConfigError            a bad config file or value: names the file and the field
    │   └── RunFailed              more items errored than the run's fail_on_error allows (exit 1)
    ├── StoreError                 the SQLite store is unusable (locked, corrupt, newer migrations)
    └── ProviderError              a model call failed (mapped from the SDK at the boundary)
        ├── ProviderTimeout        no answer within the per-call timeout        (retried)
        ├── ProviderUnavailable    connection failed, 5xx, malformed reply      (retried)
        ├── RateLimited            429; carries the server's Retry-After         (retried)
        ├── ProviderRequestError   400/401/403/404/422: the request itself is wrong (not retried)
        └── ModelsUnreachable      a run's judge or model grader never reached its model (exit 4)

Every message says what is wrong and what to do next. Secrets are scrubbed from messages at
construction time (:func:`scrub`), so no exception can carry an API key into a log or a report.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "ConfigError",
    "InputProblems",
    "LoadError",
    "ModelsUnreachable",
    "Problem",
    "ProviderError",
    "ProviderRequestError",
    "ProviderTimeout",
    "ProviderUnavailable",
    "RateLimited",
    "RunFailed",
    "SchemaVersionError",
    "StoreError",
    "TutorloopError",
    "UserError",
    "for_http_status",
    "register_secret_env",
    "scrub",
]

_KEY_SHAPES = re.compile(r"\b(sk-[A-Za-z0-9_\-]{8,}|Bearer\s+[A-Za-z0-9_\-\.]{8,})")
_SECRET_ENV = {"OPENAI_API_KEY", "TUTORLOOP_API_TOKEN"}
_SECRET_SUFFIXES = ("_API_KEY", "_API_TOKEN", "_ACCESS_TOKEN", "_SECRET_KEY", "_SECRET")


def register_secret_env(name: str) -> None:
    """Also scrub the value of the environment variable ``name`` (e.g. a configured key)."""
    _SECRET_ENV.add(name)


def _secret_values() -> list[str]:
    """The values of every secret-looking variable of this process's environment."""
    values = {
        value
        for name, value in os.environ.items()
        if len(value) >= 4 and (name in _SECRET_ENV or name.upper().endswith(_SECRET_SUFFIXES))
    }
    return sorted(values, key=len, reverse=True)


def scrub(text: str) -> str:
    """Remove API keys and bearer tokens from ``text``.

    Removes the values of ``$OPENAI_API_KEY``, ``$TUTORLOOP_API_TOKEN``, of every variable
    registered with :func:`register_secret_env` and of every variable whose name ends in
    ``_API_KEY``, ``_API_TOKEN``, ``_ACCESS_TOKEN``, ``_SECRET_KEY`` or ``_SECRET``, then
    anything shaped like an OpenAI key or a bearer token.
    """
    for value in _secret_values():
        text = text.replace(value, "[redacted]")
    return _KEY_SHAPES.sub("[redacted]", text)


class TutorloopError(Exception):
    """Base class of every error tutorloop raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(scrub(message))

    @property
    def message(self) -> str:
        """The scrubbed message."""
        return str(self.args[0])


class UserError(TutorloopError):
    """An error the user can fix; shown without a traceback, exit code 2."""

    exit_code = 2


@dataclass(frozen=True)
class Problem:
    """One problem found in one input: where it is, what is wrong, what to do."""

    path: str
    message: str
    line: int | None = None
    turn: int | None = None
    field: str | None = None
    hint: str | None = None

    def location(self) -> str:
        """``file[:line N][ turn N][ field F]`` as one string."""
        where = self.path
        if self.line is not None:
            where += f":{self.line}"
        if self.turn is not None:
            where += f" turn {self.turn}"
        if self.field:
            where += f" field '{self.field}'"
        return where

    def __str__(self) -> str:
        text = f"{self.location()}: {self.message}"
        return f"{text} ({self.hint})" if self.hint else text


class LoadError(UserError):
    """One input that cannot be read as the record it should be."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


class SchemaVersionError(LoadError):
    """A record whose ``schema_version`` is newer than this tutorloop understands."""


class InputProblems(UserError):
    """Every problem found in a set of inputs, gathered in one pass."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{len(problems)} problem(s) in the input:\n{lines}")
        self.problems = list(problems)


class ConfigError(UserError):
    """A config file or value that cannot be used."""

    def __init__(self, message: str, *, path: str | None = None, field: str | None = None) -> None:
        where = ": ".join(x for x in (path, f"field '{field}'" if field else None) if x)
        super().__init__(f"{where}: {message}" if where else message)
        self.path = path
        self.field = field


class RunFailed(UserError):
    """More items errored than the run's ``fail_on_error`` allows; what finished is stored."""

    exit_code = 1


class StoreError(TutorloopError):
    """The SQLite store cannot be opened, migrated or written."""

    exit_code = 3


class ProviderError(TutorloopError):
    """A call to a model provider failed."""

    exit_code = 4
    retryable = False

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class ProviderTimeout(ProviderError):
    """The provider gave no answer within the per-call timeout."""

    retryable = True


class ProviderUnavailable(ProviderError):
    """The connection failed, the server erred (5xx) or its reply could not be read."""

    retryable = True


class RateLimited(ProviderError):
    """The provider answered 429; ``retry_after`` is its Retry-After in seconds, if it sent one."""

    retryable = True

    def __init__(
        self, message: str, *, status: int | None = 429, retry_after: float | None = None
    ) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after


class ProviderRequestError(ProviderError):
    """The request is wrong (bad input, bad key, unknown model): retrying cannot help."""


class ModelsUnreachable(ProviderError):
    """Every call of a run's judge or a model grader failed to reach its model.

    Connection refused or failed, timed out, or the key refused (401/403): the run graded
    nothing with that model. What was graded without it is stored; the run is not a success.
    """


def for_http_status(
    status: int,
    detail: str,
    *,
    retry_after: float | None = None,
    hints: dict[int, str] | None = None,
) -> ProviderError:
    """The tutorloop error for an HTTP error status.

    429 is :class:`RateLimited`; 5xx, 408 and 409 are :class:`ProviderUnavailable` (retried);
    any other 4xx is a :class:`ProviderRequestError`, with ``hints[status]`` appended.
    """
    if status == 429:
        return RateLimited(detail, retry_after=retry_after)
    if status >= 500 or status in (408, 409) or status < 400:
        return ProviderUnavailable(detail, status=status)
    hint = (hints or {}).get(status, "")
    return ProviderRequestError(f"{detail}{hint}", status=status)
