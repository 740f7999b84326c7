"""``score_model`` and ``label_model``: a model reads rendered messages and answers in JSON.

The answer is asked for with structured outputs (a JSON Schema ``response_format``):
``{"steps": [{"description", "conclusion"}], "result": <number | label>}``. A server that ignores
``response_format`` (a local model, a gateway) is read as the structured reply would have been
(:mod:`.replies`): a bare number for ``score_model``, a bare label for ``label_model``, or either
shape inside a Markdown code fence. Only a reply that is none of these, a score outside ``range``
or a label outside ``labels`` is a recorded grader error on that item (its message keeps the raw
reply), never a crashed run. A spec's bare model name (``gpt-4``) calls
``openai/gpt-4`` at the configured base URL; ``--grader-model`` replaces it for every grader.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tutorloop.errors import TutorloopError
from tutorloop.generate import GenerateRequest, Message, Purpose
from tutorloop.grade.base import GraderOutcome, GraderSpec, Sample
from tutorloop.grade.graders.env import GradeEnv
from tutorloop.grade.graders.replies import UnreadableReply, read_reply
from tutorloop.grade.graders.templates import TemplateProblem

Role = Literal["system", "developer", "user", "assistant"]


class InputMessage(BaseModel):
    """One templated message of a model grader's ``input``."""

    model_config = ConfigDict(extra="forbid")

    role: Role
    content: Any
    """A template string, ``{"type": "input_text", "text": ...}``, or a list of those."""
    type: Literal["message"] | None = None

    def text(self) -> str:
        """The content's text (parts joined by newlines)."""
        return _content_text(self.content)


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        return str(content.get("text", ""))
    if isinstance(content, list):
        return "\n".join(_content_text(part) for part in content)
    raise TypeError(f"unsupported message content: {type(content).__name__}")


class SamplingParams(BaseModel):
    """The hosted API's ``sampling_params`` (those a local call can honour)."""

    model_config = ConfigDict(extra="allow")

    temperature: float | None = None
    top_p: float | None = Field(default=None, ge=0, le=1)
    seed: int | None = None
    max_completions_tokens: int | None = None


class _ModelGrader(GraderSpec):
    model: str
    input: list[InputMessage] = Field(min_length=1)
    sampling_params: SamplingParams | None = None

    def _messages(self, item: dict[str, Any], sample: Sample, env: GradeEnv) -> tuple[Message, ...]:
        values = sample.model_dump()
        return tuple(
            Message(role=m.role, content=env.renderer.render(m.text(), item, values))
            for m in self.input
        )

    async def _ask(
        self,
        item: dict[str, Any],
        sample: Sample,
        env: GradeEnv,
        result_schema: dict[str, Any],
        purpose: Purpose,
        context: dict[str, Any],
    ) -> tuple[Any, str, str]:
        """Call the model; return ``(result, reason, prompt sha256)`` or raise a reason.

        The request is tagged with ``purpose``; its context is the grader's name, its rendered
        ``input`` and ``context`` (``range`` or ``labels``).
        """
        if env.calls is None:
            raise _Refused("no model access: name a grader model (--grader-model) or a provider")
        messages = self._messages(item, sample, env)
        params = self.sampling_params or SamplingParams()
        model, role = env.route(self.model)
        request = GenerateRequest(
            model=model,
            messages=messages,
            temperature=params.temperature,
            top_p=params.top_p,
            seed=params.seed,
            max_output_tokens=params.max_completions_tokens,
            response_format={
                "type": "json_schema",
                "json_schema": {"name": "grade", "strict": True, "schema": _schema(result_schema)},
            },
            purpose=purpose,
            context={
                "grader": self.name,
                "input": [m.model_dump() for m in messages],
                **context,
            },
        )
        prompt = json.dumps([m.model_dump() for m in messages], sort_keys=True)
        prompt_sha = hashlib.sha256(prompt.encode("utf-8")).hexdigest()
        response = await env.calls.model(model, role).generate(request)
        try:
            result, reason = read_reply(response.text, context.get("labels"))
        except UnreadableReply as exc:
            raise _Refused(str(exc)) from None
        return result, reason, prompt_sha

    async def _safely(self, item: dict[str, Any], sample: Sample, env: GradeEnv) -> GraderOutcome:
        try:
            return await self._grade(item, sample, env)
        except _Refused as exc:
            return self.failed(str(exc), "InvalidGraderReply")
        except (TemplateProblem, TypeError) as exc:
            return self.failed(exc, "TemplateProblem")
        except TutorloopError as exc:
            return self.failed(exc)

    async def _grade(self, item: dict[str, Any], sample: Sample, env: GradeEnv) -> GraderOutcome:
        raise NotImplementedError


class _Refused(Exception):
    """The grader's model gave an answer that cannot be used."""


def _schema(result: dict[str, Any]) -> dict[str, Any]:
    step = {
        "type": "object",
        "properties": {"description": {"type": "string"}, "conclusion": {"type": "string"}},
        "required": ["description", "conclusion"],
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": {"steps": {"type": "array", "items": step}, "result": result},
        "required": ["steps", "result"],
        "additionalProperties": False,
    }


class ScoreModelGrader(_ModelGrader):
    """A numeric score in ``range``; passes at ``pass_threshold`` or above."""

    type: Literal["score_model"] = "score_model"
    range: tuple[float, float] = (0.0, 1.0)
    pass_threshold: float | None = None

    @model_validator(mode="after")
    def _sane_range(self) -> ScoreModelGrader:
        low, high = self.range
        if low >= high:
            raise ValueError(f"range [{low}, {high}] must go from low to high")
        return self

    async def evaluate(self, item: dict[str, Any], sample: Sample, env: GradeEnv) -> GraderOutcome:
        """Ask for a score and check it is a number within the range."""
        return await self._safely(item, sample, env)

    async def _grade(self, item: dict[str, Any], sample: Sample, env: GradeEnv) -> GraderOutcome:
        low, high = self.range
        schema = {"type": "number", "minimum": low, "maximum": high}
        context = {"range": [low, high]}
        result, reason, sha = await self._ask(
            item, sample, env, schema, Purpose.SCORE_MODEL, context
        )
        if isinstance(result, bool) or not isinstance(result, int | float):
            raise _Refused(f"the score {result!r} is not a number")
        score = float(result)
        if not low <= score <= high:
            raise _Refused(f"the score {score:g} is outside the range [{low:g}, {high:g}]")
        passed = None if self.pass_threshold is None else score >= self.pass_threshold
        return self.outcome(score=score, passed=passed, reason=reason or None, prompt_sha256=sha)


class LabelModelGrader(_ModelGrader):
    """One of ``labels``; passes when it is one of ``passing_labels``."""

    type: Literal["label_model"] = "label_model"
    labels: list[str] = Field(min_length=1)
    passing_labels: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _passing_are_labels(self) -> LabelModelGrader:
        unknown = [p for p in self.passing_labels if p not in self.labels]
        if unknown:
            raise ValueError(f"passing_labels {unknown} are not among labels {self.labels}")
        return self

    async def evaluate(self, item: dict[str, Any], sample: Sample, env: GradeEnv) -> GraderOutcome:
        """Ask for a label and check it is one of ``labels``."""
        return await self._safely(item, sample, env)

    async def _grade(self, item: dict[str, Any], sample: Sample, env: GradeEnv) -> GraderOutcome:
        schema = {"type": "string", "enum": list(self.labels)}
        context = {"labels": list(self.labels)}
        result, reason, sha = await self._ask(
            item, sample, env, schema, Purpose.LABEL_MODEL, context
        )
        if not isinstance(result, str) or result not in self.labels:
            raise _Refused(f"the label {result!r} is not one of {self.labels}")
        passed = result in self.passing_labels
        return self.outcome(
            score=1.0 if passed else 0.0,
            passed=passed,
            label=result,
            reason=reason or None,
            prompt_sha256=sha,
        )
