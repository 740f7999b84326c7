"""The turn graders as graders of the one protocol: kinds ``turn_heuristics`` and ``turn_judge``.

Each grades one tutor turn (an item with ``history`` and ``response``, a
:class:`~tutorloop.records.TurnItem`) on one dimension. The result's ``label`` is the verdict,
``passed`` says whether it needs no attention (:func:`~tutorloop.records.needs_attention`),
``score`` is the probability that it needs none (higher is better, as for every grader) and
``sub_scores`` the probability of each label the grader knows. :class:`~.heuristics.TurnHeuristics`
and :class:`~.judge.TurnJudge` stay the API of the agreement and labelling code, which grades
lists of turns at once.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from tutorloop.grade.base import GraderSpec, Sample
from tutorloop.grade.graders.env import GradeEnv
from tutorloop.grade.inputs import turn_of
from tutorloop.grade.turn.heuristics import (
    RULES,
    TURN_HEURISTICS_VERSION,
    TurnHeuristics,
    TurnVerdict,
)
from tutorloop.grade.turn.judge import Rubric, TurnJudge, load_rubrics
from tutorloop.records import GraderResult, needs_attention


def verdict_fields(verdict: TurnVerdict, labels: list[str]) -> dict[str, Any]:
    """A turn verdict as the fields of a :class:`GraderResult`."""
    attention = needs_attention(verdict.dimension, labels or [verdict.label])
    scores = dict(verdict.scores) if verdict.scores else {verdict.label: verdict.probability}
    if verdict.scores:
        risk = sum(scores.get(a, 0.0) for a in attention)
    else:
        risk = verdict.probability if verdict.label in attention else 1.0 - verdict.probability
    return {
        "dimension": verdict.dimension,
        "label": verdict.label,
        "passed": verdict.label not in attention,
        "score": round(1.0 - risk, 4),
        "reason": verdict.reason or None,
        "sub_scores": scores,
    }


class TurnHeuristicsGrader(GraderSpec):
    """The rule-based turn grader on one dimension (deterministic, no model)."""

    FULL_SPEC = False

    type: Literal["turn_heuristics"] = "turn_heuristics"
    name: str = Field(default="turn_heuristics", min_length=1)
    dimension: str
    """One of the dimensions the rules grade (:data:`~.heuristics.RULES`)."""

    @field_validator("dimension")
    @classmethod
    def _ruled(cls, value: str) -> str:
        if value not in RULES:
            raise ValueError(
                f"the turn rules do not grade {value!r}; they grade {', '.join(RULES)}"
            )
        return value

    @property
    def version(self) -> str:
        """The rules' version."""
        return TURN_HEURISTICS_VERSION

    def evaluate(self, item: dict[str, Any], sample: Sample, env: GradeEnv) -> GraderResult:
        """Label the item's tutor turn on ``dimension``."""
        (verdict,) = TurnHeuristics().predict([turn_of(item)], self.dimension)
        return self.outcome(**verdict_fields(verdict, []))


class TurnJudgeGrader(GraderSpec):
    """A model judging one tutor turn on one dimension with its rubric (a ``label_model``)."""

    FULL_SPEC = False

    type: Literal["turn_judge"] = "turn_judge"
    name: str = Field(default="turn_judge", min_length=1)
    model: str
    """The judge model, ``provider/model``."""
    dimension: str
    rubric: Rubric | None = None
    """The dimension's rubric; None: the bundled one."""

    @model_validator(mode="after")
    def _has_a_rubric(self) -> TurnJudgeGrader:
        if self.rubric is None and self.dimension not in load_rubrics():
            raise ValueError(
                f"the bundled rubric has no dimension {self.dimension!r}; give one as 'rubric'"
            )
        return self

    @cached_property
    def judge(self) -> TurnJudge:
        """The turn judge with this grader's rubric (the bundled rubrics when none is given)."""
        rubrics = load_rubrics() if self.rubric is None else {self.dimension: self.rubric}
        return TurnJudge(self.model, rubrics)

    @property
    def version(self) -> str:
        """The turn judge's version: implementation + a hash of its rubrics and model."""
        return self.judge.version

    async def evaluate(self, item: dict[str, Any], sample: Sample, env: GradeEnv) -> GraderResult:
        """Ask the model for the turn's label on ``dimension``."""
        turn = turn_of(item)
        data: dict[str, Any] = turn.model_dump()
        data["ground_truth"] = turn.ground_truth or ""
        grader = self.judge.grader(self.dimension)
        outcome = await grader.grade(data, sample, env)
        if outcome.error is not None or outcome.label is None:
            return outcome.model_copy(
                update={"name": self.name, "type": self.kind, "version": self.version}
            )
        verdict = TurnVerdict(
            turn.item_id, self.dimension, outcome.label, 1.0, outcome.reason or ""
        )
        return self.outcome(
            **verdict_fields(verdict, grader.labels), prompt_sha256=outcome.prompt_sha256
        )
