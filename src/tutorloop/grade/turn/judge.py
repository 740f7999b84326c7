"""A model judges one tutor turn in context, on any dimension that has a rubric.

Each dimension becomes a ``label_model`` grader (the OpenAI Evals grader type) whose system
message is the dimension's rubric and whose labels are the dimension's label values; the model
reads the dialogue history, the reference solution (when there is one) and the response. A
judge gives no probabilities, so its label's probability is 1; a failed call is a missing
verdict, never a crashed run.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import anyio
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tutorloop._sync import run_sync_coroutine
from tutorloop.errors import ConfigError
from tutorloop.generate import CallContext, CallPolicy, ProviderSettings
from tutorloop.grade.graders import GradeEnv, Sample
from tutorloop.grade.graders.model_graders import InputMessage, LabelModelGrader
from tutorloop.grade.turn.heuristics import TurnVerdict
from tutorloop.records import TurnItem

JUDGE_IMPLEMENTATION = "1"

_USER = (
    "Dialogue so far:\n{{ item.history }}\n\n"
    "Reference solution (may be empty):\n{{ item.ground_truth }}\n\n"
    "The tutor's response to judge:\n{{ item.response }}"
)


class Rubric(BaseModel):
    """One dimension's question and what each label means."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1)
    labels: dict[str, str] = Field(min_length=2)
    """``label → when it applies``."""

    def system_prompt(self, dimension: str) -> str:
        """The grader's system message."""
        lines = "\n".join(f"- {label}: {meaning}" for label, meaning in self.labels.items())
        return (
            f"You grade one response of a math tutor on the dimension {dimension}.\n"
            f"{self.question}\nAnswer with exactly one label:\n{lines}"
        )


def bundled_rubrics() -> Path:
    """Tutorloop's rubric for the eight MRBench dimensions."""
    from importlib.resources import files

    return Path(str(files("tutorloop") / "data" / "rubrics" / "tutor_turn.yaml"))


def load_rubrics(path: Path | None = None) -> dict[str, Rubric]:
    """``dimension → Rubric`` from a YAML file (default: the bundled rubric).

    Raises:
        ConfigError: the file cannot be read or a rubric is malformed.
    """
    source = path or bundled_rubrics()
    try:
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read the rubric: {exc}", path=str(source)) from exc
    if not isinstance(data, dict):
        raise ConfigError("expected a mapping of dimension → rubric", path=str(source))
    rubrics = {}
    for dimension, body in data.items():
        try:
            rubrics[str(dimension)] = Rubric.model_validate(body)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join([str(dimension), *(str(p) for p in first["loc"])])
            raise ConfigError(first["msg"], path=str(source), field=where) from None
    return rubrics


class TurnJudge:
    """A ``provider/model`` judging turns with one rubric per dimension."""

    def __init__(
        self,
        model: str,
        rubrics: dict[str, Rubric] | None = None,
        policy: CallPolicy | None = None,
        settings: ProviderSettings | None = None,
    ) -> None:
        self.model = model
        self.rubrics = rubrics if rubrics is not None else load_rubrics()
        self.policy = policy or CallPolicy()
        self.settings = settings or ProviderSettings()
        blob = json.dumps({k: v.model_dump() for k, v in self.rubrics.items()}, sort_keys=True)
        digest = hashlib.sha256((blob + model).encode("utf-8")).hexdigest()[:10]
        self.name = f"judge:{model}"
        self.version = f"turn-judge/{JUDGE_IMPLEMENTATION}+{digest}"

    @property
    def dimensions(self) -> list[str]:
        """Every dimension with a rubric."""
        return list(self.rubrics)

    def grader(self, dimension: str) -> LabelModelGrader:
        """The ``label_model`` grader of one dimension."""
        rubric = self.rubrics[dimension]
        labels = list(rubric.labels)
        return LabelModelGrader(
            name=f"{dimension} judge",
            model=self.model,
            input=[
                InputMessage(role="system", content=rubric.system_prompt(dimension)),
                InputMessage(role="user", content=_USER),
            ],
            labels=labels,
            passing_labels=labels[:1],
        )

    def predict(self, items: Sequence[TurnItem], dimension: str) -> list[TurnVerdict]:
        """One verdict per item the model answered (empty for a dimension without rubric)."""
        if dimension not in self.rubrics or not items:
            return []
        return run_sync_coroutine(self._predict, list(items), dimension)

    async def _predict(self, items: list[TurnItem], dimension: str) -> list[TurnVerdict]:
        grader = self.grader(dimension)
        found: dict[int, TurnVerdict] = {}
        async with CallContext(self.policy, self.settings) as context:
            env = GradeEnv(calls=context)

            async def one(index: int, item: TurnItem) -> None:
                data: dict[str, Any] = item.model_dump()
                data["ground_truth"] = item.ground_truth or ""
                outcome = await grader.grade(data, Sample(), env)
                if outcome.error is None and outcome.label is not None:
                    reason = outcome.reason or ""
                    found[index] = TurnVerdict(item.item_id, dimension, outcome.label, 1.0, reason)

            async with anyio.create_task_group() as group:
                for index, item in enumerate(items):
                    group.start_soon(one, index, item)
        return [found[i] for i in sorted(found)]
