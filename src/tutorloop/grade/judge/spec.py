"""The structured Study Mode judge as a grader of the one protocol (kind ``study_mode_judge``).

Its config is the judge model (named explicitly, ``provider/model``) and whether verdicts are
cached in the run's call ledger; its version is the judge's own (``judge/<prompt
version>+<model>``, the ``grader_version`` of every check it makes). It grades a session item
through the run's model access (``env.calls``) and returns the judge's result: the seven
``checks``, ``score``, ``passed`` (False when the judge would escalate) and its notes.
:class:`~.judge.StructuredJudge` stays the API of callers that want the verdict's provenance
(raw reply, cache hit, repair).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from tutorloop.grade.base import GraderSpec, Sample
from tutorloop.grade.graders.env import GradeEnv
from tutorloop.grade.inputs import agent_instructions_of, session_of
from tutorloop.grade.judge.judge import JUDGE_KIND, StructuredJudge
from tutorloop.grade.judge.prompt import JUDGE_PROMPT_VERSION
from tutorloop.records import GraderResult


class StudyModeJudgeGrader(GraderSpec):
    """The structured LLM judge of a whole session: the seven checks in one result."""

    FULL_SPEC = False

    type: Literal["study_mode_judge"] = JUDGE_KIND
    name: str = Field(default=JUDGE_KIND, min_length=1)
    model: str
    """The judge model, ``provider/model``; never a hidden default."""
    cache: bool = True
    """Reuse verdicts stored in the run's call ledger for the same model, prompt and input."""

    @field_validator("model")
    @classmethod
    def _provider_model(cls, value: str) -> str:
        if "/" not in value:
            raise ValueError(f"judge model {value!r} must be written provider/model")
        return value

    @property
    def version(self) -> str:
        """``judge/<prompt version>+<model>``: changes with the prompt or the model."""
        return f"judge/{JUDGE_PROMPT_VERSION}+{self.model}"

    async def evaluate(self, item: dict[str, Any], sample: Sample, env: GradeEnv) -> GraderResult:
        """Judge the item's session; a failed judge is a result with an ``error``."""
        if env.calls is None:
            return self.failed("no model access: the judge needs the run's models", "GraderError")
        session = session_of(item)
        judge = StructuredJudge(self.model, env.calls, cache=self.cache)
        verdict = await judge.judge(
            session.session_id, session.trajectory, agent_instructions_of(item)
        )
        if verdict.result is None:
            message = verdict.error.message if verdict.error else "no verdict"
            kind = verdict.error.type if verdict.error else None
            return self.failed(message, kind)
        return verdict.result.model_copy(update={"name": self.name})
