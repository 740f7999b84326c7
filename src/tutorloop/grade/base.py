"""The one grader protocol: a config model with a name, a version, a spec and one way to grade.

Every grader kind is a :class:`GraderSpec`: a pydantic model whose fields are its config. The
OpenAI Evals grader types (``string_check``, ``score_model``, ...) are exactly their
``testing_criteria`` entry; the Study Mode heuristics and judge, the turn graders, learned
graders and the alignment judge are kinds of their own (see :mod:`tutorloop.grade.registry`).
Each grader

* has a ``name`` and a ``version``, which changes when its config or its implementation does
  (by default ``<type>/<IMPLEMENTATION>+<hash of the spec>``; a kind whose version is already
  stamped into stored results keeps that string);
* serialises to a compact spec (:meth:`GraderSpec.to_spec`) from which
  :func:`~tutorloop.grade.registry.grader_from_spec` rebuilds an equal grader;
* grades through one entry point, :meth:`GraderSpec.grade`. A kind implements
  :meth:`GraderSpec.evaluate` with ``def`` or ``async def``; ``grade`` awaits the result only
  when it is awaitable, and always returns one shape, the persisted
  :class:`~tutorloop.records.GraderResult`. A grader that raises gives a result with an
  ``error``, never a crashed run.

The item is a dict, as ``{{ item.x }}`` sees it (a session's has ``session_id`` and
``trajectory``, a tutor turn's ``history`` and ``response``); the sample is what the system
under test produced (``{{ sample.output_text }}``, ``{{ sample.output_json }}``).
"""

from __future__ import annotations

import hashlib
import inspect
import json
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from tutorloop.errors import scrub
from tutorloop.records import GraderError, GraderResult

if TYPE_CHECKING:
    from tutorloop.grade.graders.env import GradeEnv


class Sample(BaseModel):
    """What the system under test produced for an item."""

    model_config = ConfigDict(extra="forbid")

    output_text: str = ""
    output_json: Any = None
    """``output_text`` parsed as JSON when it is JSON, else None."""

    @classmethod
    def from_text(cls, text: str) -> Sample:
        """A sample whose ``output_json`` is parsed from ``text`` when possible."""
        try:
            parsed = json.loads(text)
        except (ValueError, TypeError):
            parsed = None
        return cls(output_text=text, output_json=parsed)


GraderOutcome = GraderResult
"""What a grader returns: the persisted :class:`~tutorloop.records.GraderResult`."""


class GraderSpec(BaseModel):
    """Base of every grader kind; subclasses add ``type: Literal[...]`` and their config fields."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    IMPLEMENTATION: ClassVar[str] = "1"
    """Bumped when the grading code of a kind changes its results."""
    FULL_SPEC: ClassVar[bool] = True
    """Whether the spec lists fields left at their default (the ``testing_criteria`` types do,
    as the hosted API writes them); other kinds give only ``type``, ``name`` and what differs."""

    name: str = Field(min_length=1)

    @property
    def kind(self) -> str:
        """The ``type`` of the grader."""
        return str(getattr(self, "type", type(self).__name__))

    def to_spec(self) -> dict[str, Any]:
        """The grader as data (``type`` names the kind); it rebuilds an equal grader."""
        if self.FULL_SPEC:
            return self.model_dump(mode="json", exclude_none=True, by_alias=True)
        changed = self.model_dump(
            mode="json", exclude_none=True, exclude_defaults=True, by_alias=True
        )
        return {"type": self.kind, "name": self.name, **changed}

    @property
    def version(self) -> str:
        """``<type>/<implementation>+<hash of the spec>``: changes when the config does."""
        blob = json.dumps(self.to_spec(), sort_keys=True).encode("utf-8")
        return f"{self.kind}/{self.IMPLEMENTATION}+{hashlib.sha256(blob).hexdigest()[:10]}"

    def outcome(self, **fields: Any) -> GraderResult:
        """A :class:`GraderResult` stamped with this grader's name, type and version."""
        return GraderResult(name=self.name, type=self.kind, version=self.version, **fields)

    def failed(self, error: BaseException | str, kind: str | None = None) -> GraderResult:
        """A result recording that the grader could not grade this item."""
        message = scrub(str(error))
        error_type = kind or (
            type(error).__name__ if isinstance(error, BaseException) else "GraderError"
        )
        try:
            version = self.version
        except Exception:  # the version may need what is missing (a learned model's folder)
            version = ""
        return GraderResult(
            name=self.name,
            type=self.kind,
            version=version,
            error=GraderError(type=error_type, message=message),
        )

    async def grade(self, item: dict[str, Any], sample: Sample, env: GradeEnv) -> GraderResult:
        """Grade one item: the one entry point of every grader kind.

        Calls :meth:`evaluate`, awaits its result only when it is awaitable, and turns an
        exception into a result with an ``error``.
        """
        try:
            result = self.evaluate(item, sample, env)
            if inspect.isawaitable(result):
                result = await result
        except Exception as exc:
            return self.failed(exc)
        return _scrubbed(result)

    def evaluate(
        self, item: dict[str, Any], sample: Sample, env: GradeEnv
    ) -> GraderResult | Awaitable[GraderResult]:
        """Grade one item, with ``def`` or ``async def``; each kind implements it."""
        raise NotImplementedError(f"{type(self).__name__} does not implement evaluate()")


def _scrubbed(result: GraderResult) -> GraderResult:
    """``result`` with secrets removed from its free-text fields (reason, label, error)."""
    update: dict[str, Any] = {}
    for name in ("reason", "label"):
        text = getattr(result, name)
        if text is not None and scrub(text) != text:
            update[name] = scrub(text)
    if result.error is not None and scrub(result.error.message) != result.error.message:
        update["error"] = result.error.model_copy(update={"message": scrub(result.error.message)})
    return result.model_copy(update=update) if update else result
