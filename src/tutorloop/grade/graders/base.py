"""The grader protocol of OpenAI-Evals-compatible graders: a config model with ``grade``.

A grader is a pydantic model whose fields are exactly its ``testing_criteria`` entry in the
OpenAI Evals API (``type``, ``name`` and the type's own fields), so a config moves between
tutorloop and the hosted API unchanged (:meth:`GraderSpec.to_spec`). ``grade`` is async, takes the
item (a dict, as ``{{ item.x }}`` sees it) and the sample (``{{ sample.output_text }}``,
``{{ sample.output_json }}``) and returns a :class:`GraderOutcome`; a failure is an outcome with
an ``error``, never a raise.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

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
    """Base of every grader type; subclasses add ``type: Literal[...]`` and their fields."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    IMPLEMENTATION: ClassVar[str] = "1"
    """Bumped when the grading code of a type changes its results."""

    name: str = Field(min_length=1)

    @property
    def kind(self) -> str:
        """The ``type`` of the grader."""
        return str(getattr(self, "type", type(self).__name__))

    def to_spec(self) -> dict[str, Any]:
        """The ``testing_criteria`` entry, as the OpenAI Evals API takes it."""
        return self.model_dump(mode="json", exclude_none=True, by_alias=True)

    @property
    def version(self) -> str:
        """``<type>/<implementation>+<hash of the spec>``: changes when the config does."""
        blob = json.dumps(self.to_spec(), sort_keys=True).encode("utf-8")
        return f"{self.kind}/{self.IMPLEMENTATION}+{hashlib.sha256(blob).hexdigest()[:10]}"

    def outcome(self, **fields: Any) -> GraderOutcome:
        """A :class:`GraderOutcome` stamped with this grader's name, type and version."""
        return GraderOutcome(name=self.name, type=self.kind, version=self.version, **fields)

    def failed(self, error: BaseException | str, kind: str | None = None) -> GraderOutcome:
        """An outcome recording that the grader could not grade this item."""
        message = str(error)
        error_type = kind or (
            type(error).__name__ if isinstance(error, BaseException) else "GraderError"
        )
        return self.outcome(error=GraderError(type=error_type, message=message))

    async def grade(self, item: dict[str, Any], sample: Sample, env: GradeEnv) -> GraderOutcome:
        """Grade one item; subclasses implement it."""
        raise NotImplementedError
