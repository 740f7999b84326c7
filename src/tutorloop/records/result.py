"""The judgement of one session: checks, fidelity, failures and escalation (an EvalResult)."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
)

from tutorloop.records._base import Migration, VersionedRecord

Verdict = Literal["pass", "fail", "unsure"]
Source = Literal["heuristic", "judge", "learned", "human", "criteria"]
Severity = Literal["low", "medium", "high", "critical"]

SEVERITY_ORDER: dict[str, int] = {"low": 1, "medium": 2, "high": 3, "critical": 4}


class Evidence(BaseModel):
    """Where in the trajectory a check found its signal: a turn and a character span."""

    model_config = ConfigDict(extra="forbid")

    turn: int = Field(ge=0)
    """Index of the turn in the graded trajectory."""
    start: int = Field(ge=0)
    """First character of the span in that turn's content."""
    end: int = Field(ge=0)
    """One past the last character of the span."""
    text: str
    """The span itself, for readers who do not have the session at hand."""


class EvalCheck(BaseModel):
    """One check of one session; the Study Mode notebook's field names, extended."""

    model_config = ConfigDict(extra="forbid")

    name: str
    passed: bool
    """The check's best answer; read ``verdict`` to see whether it is sure."""
    reason: str | None = None
    evidence_snippet: str | None = None
    """The Study Mode notebook's free-text evidence (≤ 200 characters)."""
    confidence: float | None = Field(default=None, ge=0.0, le=1.0)
    verdict: Verdict | None = None
    """``pass``/``fail``, or ``unsure`` when the text gives no clear signal."""
    evidence: list[Evidence] = Field(default_factory=list)
    """Turn and span of each signal."""
    source: Source = "heuristic"
    """Which kind of grader decided this check."""
    grader_version: str | None = None
    """Version of the grader (and its config) that produced the check."""

    def model_post_init(self, context: Any, /) -> None:
        """Derive ``verdict`` from ``passed`` when the writer (e.g. an older judge) left it out."""
        if self.verdict is None:
            self.verdict = "pass" if self.passed else "fail"


class Failure(BaseModel):
    """A failure class from the taxonomy, with the checks that triggered it."""

    model_config = ConfigDict(extra="forbid")

    name: str
    """One of the taxonomy's classes, e.g. ``answered_too_early``."""
    severity: Severity
    checks: list[str]
    """Names of the failed checks this class is derived from."""
    evidence: list[Evidence] = Field(default_factory=list)


class GraderError(BaseModel):
    """A grader that failed on an item: stored as data, the run goes on."""

    model_config = ConfigDict(extra="forbid")

    type: str
    message: str


class GraderResult(BaseModel):
    """One grader's result on one item: the one result shape of every grader kind.

    OpenAI-Evals-compatible graders fill ``score``/``passed``/``label``; learned and turn
    graders add ``dimension``; graders that decide named checks add ``checks``. A grader that
    could not grade the item has an ``error`` instead.
    """

    model_config = ConfigDict(extra="forbid")

    name: str
    type: str
    score: float | None = None
    passed: bool | None = None
    label: str | None = None
    reason: str | None = None
    error: GraderError | None = None
    sub_scores: dict[str, float | None] = Field(default_factory=dict)
    """For ``multi``: the score of each named sub-grader."""
    version: str = ""
    """The grader's version (implementation + spec hash)."""
    prompt_sha256: str | None = None
    """For model graders: the hash of the rendered prompt."""
    dimension: str | None = None
    """For learned graders: the label dimension graded (its labels are in ``label``)."""
    evidence: list[Evidence] = Field(default_factory=list)
    """For learned graders: the turn the verdict rests on."""
    checks: list[EvalCheck] = Field(default_factory=list)
    """For graders that decide named checks (the Study Mode heuristics and judge): each check.

    Left out of the JSON when empty, so the results of every other grader read as before.
    """

    @model_serializer(mode="wrap")
    def _without_empty_checks(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if not self.checks:
            data.pop("checks", None)
        return data


class EscalationReason(BaseModel):
    """Why a session goes to a human reviewer."""

    model_config = ConfigDict(extra="forbid")

    code: Literal[
        "low_fidelity", "safety", "severe_failure", "unsure", "judge_disagreement", "grader_error"
    ]
    message: str


JudgedBecause = Literal["unsure", "audit", "all"]
"""Why the judge saw a session: a heuristic was unsure, the seeded audit sample picked it, or
every session is judged (``--judge-all``)."""


class JudgedCheck(BaseModel):
    """One check as the heuristics and the judge each saw it."""

    model_config = ConfigDict(extra="forbid")

    name: str
    heuristic: Verdict
    """The heuristic's verdict (``unsure`` when it could not tell)."""
    judge: Verdict
    judge_reason: str | None = None
    decided: bool = False
    """The judge's verdict became the check's (the heuristic was unsure)."""


class JudgeReview(BaseModel):
    """What the judge said about a session, beside the heuristics (kept for audit and report)."""

    model_config = ConfigDict(extra="forbid")

    model: str
    """The judge model (``provider/model``)."""
    because: JudgedBecause
    heuristic_version: str
    """The heuristics' version the judge is compared with."""
    checks: list[JudgedCheck] = Field(default_factory=list)
    notes: str | None = None
    """The judge's notes on the session."""

    @property
    def decided(self) -> list[str]:
        """The checks whose verdict the judge decided."""
        return [c.name for c in self.checks if c.decided]


def _from_seed(data: dict[str, Any]) -> dict[str, Any]:
    """Version 0 (the notebook's judge files) → 1: every such EvalResult came from its judge."""
    checks = []
    for check in data.get("checks") or []:
        if isinstance(check, dict):
            check = {"source": "judge", **check}
        checks.append(check)
    return {**data, "checks": checks}


def _judge_review(data: dict[str, Any]) -> dict[str, Any]:
    """Version 1 → 2: results gain an optional ``judge`` review (absent before)."""
    return data


class EvalResult(VersionedRecord):
    """The notebook's ``EvalResult`` (same field names), extended with taxonomy and escalation.

    Version 2 adds ``judge``: the judge's review of the session, when a judge saw it.
    """

    SCHEMA_VERSION = 2
    LEGACY_VERSION = 0
    MIGRATIONS: ClassVar[dict[int, Migration]] = {0: _from_seed, 1: _judge_review}

    session_id: str
    pedagogical_fidelity_score: float = Field(ge=0.0, le=1.0)
    """Mean of the seven Study Mode checks, times the safety gate (0 or 1)."""
    escalate: bool
    checks: list[EvalCheck]
    notes: str | None = None
    evaluated_at: str | None = None
    condition: str | None = None
    """``human``, ``base`` or ``overlay`` when the session came from a replay."""
    domain: str | None = None
    failures: list[Failure] = Field(default_factory=list)
    escalation_reasons: list[EscalationReason] = Field(default_factory=list)
    severity: Severity | None = None
    """The highest severity among the failures; orders the review queue."""
    actions: list[list[str]] = Field(default_factory=list)
    """Action tags of each tutor turn, in order (the eight-action taxonomy)."""
    metrics: dict[str, float] = Field(default_factory=dict)
    """Descriptive numbers: questions per tutor turn, median tokens, turn counts."""
    graders: list[GraderResult] = Field(default_factory=list)
    """Results of the testing-criteria graders run on this item (``--graders``)."""
    judge: JudgeReview | None = None
    """The judge's review, when a judge saw this session (unsure, audited, or all judged)."""

    def check(self, name: str) -> EvalCheck | None:
        """The check called ``name``, if present."""
        return next((c for c in self.checks if c.name == name), None)
