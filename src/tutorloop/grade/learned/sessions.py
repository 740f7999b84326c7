"""Learned graders in a grading run: every tutor turn of a session graded in context.

Each model folder is loaded once per run. For one session, the model labels every tutor turn
(the same turn items as ``tutorloop learn predict --format sessions``: the history so far and the
turn); the session's verdict is one :class:`~tutorloop.records.GraderResult`:

* ``passed``: no tutor turn got a *needs attention* label (e.g. ``No`` on
  Mistake_Identification, any ``Yes (…)`` on Revealing_of_the_Answer, ``Offensive`` on Tutor_Tone);
* ``label``: the label of the worst turn, the one with the highest probability of a needs-attention
  label;
* ``score``: 1 − that probability, so higher is better as for the other graders;
* ``sub_scores``: the worst turn's probability of each label;
* ``reason`` and ``evidence``: how many turns were flagged, and the worst turn with its opening.

A learned verdict is reported and exported like a testing-criteria grader's; it does not change
the escalation decision, which stays with the heuristics and the judge.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tutorloop.errors import ConfigError, scrub
from tutorloop.grade.learned.model import LearnedGrader
from tutorloop.grade.learned.model import load as load_learned
from tutorloop.load import Item, item_turn_items
from tutorloop.records import Evidence, Grade, GraderError, GraderResult, needs_attention

SNIPPET_CHARS = 160
"""How much of the worst turn the evidence quotes."""


class LearnedSessionGrader:
    """One learned model, loaded once, grading whole sessions turn by turn."""

    def __init__(self, model: LearnedGrader) -> None:
        self.model = model
        self.dimension = model.manifest.dimension
        self.attention = needs_attention(self.dimension, model.manifest.labels)
        self.version = f"{model.version}+{model.manifest.training_sha256[:8]}"
        """The model's version and the start of its training file's sha256."""

    @property
    def name(self) -> str:
        """The model's name, ``learned:<dimension>``."""
        return self.model.name

    def grade(self, item: Item) -> GraderResult:
        """The verdict on ``item``; a model that fails becomes an errored result, not a raise."""
        try:
            return self._grade(item)
        except Exception as exc:
            return self._result(error=GraderError(type=type(exc).__name__, message=scrub(str(exc))))

    def _grade(self, item: Item) -> GraderResult:
        turns = list(item_turn_items(item))
        if not turns:
            return self._result(reason="no tutor turn to grade")
        indices = [i for i, turn in enumerate(item.trajectory) if turn.role == "assistant"]
        verdicts = self.model.predict(turns, self.dimension)
        risks = [sum((v.scores or {}).get(a, 0.0) for a in self.attention) for v in verdicts]
        worst = max(range(len(verdicts)), key=lambda i: risks[i])
        flagged = sum(1 for v in verdicts if v.label in self.attention)
        verdict, turn = verdicts[worst], indices[worst]
        text = item.trajectory[turn].content[:SNIPPET_CHARS]
        return self._result(
            score=round(1.0 - risks[worst], 4),
            passed=flagged == 0,
            label=verdict.label,
            reason=(
                f"{flagged} of {len(verdicts)} tutor turn(s) flagged on {self.dimension}; "
                f"worst: turn {turn}, {verdict.label!r}, needs-attention probability "
                f"{risks[worst]:.2f}"
            ),
            sub_scores=dict(verdict.scores or {}),
            evidence=[Evidence(turn=turn, start=0, end=len(text), text=text)],
        )

    def _result(self, **fields: object) -> GraderResult:
        return GraderResult.model_validate(
            {
                "name": self.name,
                "type": "learned",
                "version": self.version,
                "dimension": self.dimension,
                **fields,
            }
        )


def load_learned_graders(folders: Sequence[Path]) -> list[LearnedSessionGrader]:
    """Load each model folder once; two models of one dimension cannot share a run.

    Raises:
        ConfigError: a folder is not a learned grader, or two grade the same dimension.
    """
    graders: list[LearnedSessionGrader] = []
    seen: dict[str, Path] = {}
    for folder in folders:
        grader = LearnedSessionGrader(load_learned(folder))
        if grader.name in seen:
            raise ConfigError(
                f"{seen[grader.name]} already grades {grader.dimension!r}; "
                "pass one learned model per dimension in a run",
                path=str(folder),
                field="--learned",
            )
        seen[grader.name] = folder
        graders.append(grader)
    return graders


def result_grades(run_id: str, key: str, results: Sequence[GraderResult]) -> list[Grade]:
    """The store's grade rows of testing-criteria and learned graders' results on one item.

    A learned grader's row is ``learned.<dimension>`` with ``source="learned"``; a
    testing-criteria grader's is ``criteria.<name>``.
    """
    grades = []
    for r in results:
        learned = r.type == "learned"
        grades.append(
            Grade(
                run_id=run_id,
                item_key=key,
                grader=f"learned.{r.dimension}" if learned else f"criteria.{r.name}",
                grader_version=r.version,
                score=r.score,
                passed=r.passed,
                label=r.label,
                reason=r.reason,
                evidence=r.evidence,
                source="learned" if learned else "criteria",
                prompt_sha256=r.prompt_sha256,
                error=r.error,
            )
        )
    return grades
