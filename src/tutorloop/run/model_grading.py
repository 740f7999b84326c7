"""Grading with models: testing-criteria graders and the structured judge, heuristics first.

For a session, the heuristics run first. The judge (``--judge MODEL``) is called where a
heuristic check is *unsure*, on a seeded random share of the other sessions (the audit,
``--judge-audit``, 10 % by default), or for every session with ``--judge-all``; its verdict
replaces the unsure checks, and a judge that disagrees with a sure heuristic is an escalation
reason. Every judged session keeps the judge's review beside the heuristics' verdicts
(``EvalResult.judge``), from which heuristic–judge agreement is measured. Then the
testing-criteria graders (``--graders FILE``) grade the item and the sample. For a dataset item
(``{"item": ..., "sample": ...}``, e.g. an imported hosted eval) only the graders run, and its
``pedagogical_fidelity_score`` is the share of graders that passed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

import anyio
from pydantic import BaseModel, ConfigDict, Field

from tutorloop.decide import decide_criteria
from tutorloop.errors import ConfigError, Problem, scrub
from tutorloop.generate import CallContext, split_model
from tutorloop.grade import (
    DEFAULT_AUDIT_SHARE,
    GradeEnv,
    GraderSpec,
    Sample,
    StructuredJudge,
    audit_pick,
    judge_review,
    load_graders,
    python_graders_refused,
    uses_python,
)
from tutorloop.load import EvalItem, Item, Skipped
from tutorloop.records import (
    EvalCheck,
    EvalResult,
    GraderError,
    GraderResult,
    JudgedBecause,
    JudgeReview,
    ReplayArtifact,
)
from tutorloop.run.config import RunConfig
from tutorloop.run.engine import EngineReport, Progress, Sink, run_async
from tutorloop.run.outcomes import Graded
from tutorloop.run.reach import ModelReach
from tutorloop.run.session import SessionGrader, build_result, grader_grades, review_record
from tutorloop.store import ItemOutcome


class ModelGrading(BaseModel):
    """Which model-based graders a run uses."""

    model_config = ConfigDict(extra="forbid")

    graders_path: Path | None = None
    """A ``testing_criteria`` file (YAML/JSON)."""
    grader_model: str | None = None
    """Replaces the model of every model grader, e.g. ``sim/study`` offline."""
    judge_model: str | None = None
    """The structured judge; named explicitly, never a hidden default."""
    judge_all: bool = False
    """Judge every session, not only those with an unsure heuristic."""
    judge_audit: float = Field(default=DEFAULT_AUDIT_SHARE, ge=0.0, le=1.0)
    """With a judge: the share of sessions judged even where every heuristic is sure."""
    audit_seed: int = 0
    """Seeds which sessions the audit picks (by item key, so a resumed run picks the same)."""
    embedding_model: str | None = None
    """For ``text_similarity`` ``cosine``: the model that embeds both texts."""
    python_graders: Literal["sandbox", "unsandboxed", "off"] = "sandbox"
    """How ``python`` graders run (``--allow-unsandboxed-python`` gives ``unsandboxed``)."""
    bwrap_path: str = "bwrap"
    """The bubblewrap executable python graders are sandboxed with."""

    @property
    def active(self) -> bool:
        """Whether anything here needs the async, model-calling path."""
        return bool(self.graders_path or self.judge_model or self.judge_all)


def prepare(models: ModelGrading, context: CallContext) -> tuple[list[GraderSpec], GradeEnv]:
    """Load the graders and check, before any item, that every model they need is reachable."""
    if models.judge_all and not models.judge_model:
        raise ConfigError(
            "--judge-all needs a judge: name one with --judge provider/model "
            "(e.g. --judge openai/gpt-4.1-mini, or --judge sim/study offline)",
            field="--judge",
        )
    graders = load_graders(models.graders_path) if models.graders_path else []
    if any(uses_python(g) for g in graders):
        refused = python_graders_refused(models.python_graders, models.bwrap_path)
        if refused is not None:
            raise ConfigError(
                f"{refused} (--allow-unsandboxed-python)", path=str(models.graders_path)
            )
    env = GradeEnv(
        calls=context,
        grader_model=models.grader_model,
        python_graders=models.python_graders,
        bwrap_path=models.bwrap_path,
    )
    needed = {env.route(m) for m in _models_of(graders)}
    if models.judge_model:
        needed.add((models.judge_model, "judge"))
    if models.embedding_model:
        embedder = context.model(models.embedding_model, "grader")
        env.extras["embed"] = embedder.embed
        needed.add((models.embedding_model, "grader"))
    for name, role in sorted(needed):
        context.provider(split_model(name)[0], role)  # a missing key or unknown provider fails
    return graders, env


def _models_of(graders: Iterable[GraderSpec]) -> list[str]:
    found = []
    for grader in graders:
        model = getattr(grader, "model", None)
        if isinstance(model, str):
            found.append(model)
        subs = getattr(grader, "graders", None)
        if isinstance(subs, dict):
            found.extend(_models_of(subs.values()))
    return found


async def grade_entries_async(
    entries: Iterable[Item | EvalItem | Skipped | Problem | Graded],
    grader: SessionGrader,
    models: ModelGrading,
    context: CallContext,
    sink: Sink[ItemOutcome],
    run_id: str,
    options: RunConfig | None = None,
    progress: Progress | None = None,
    reach: ModelReach | None = None,
) -> EngineReport:
    """Grade ``entries`` with heuristics, judge and graders on the run engine, into ``sink``.

    At most ``options.max_in_flight`` items (default twice the calls' concurrency) are graded
    at once. ``reach``, when given, records whether the judge and graders reached their models.
    """
    one = ModelGrader(grader, models, context, reach)

    async def work(entry: Item | EvalItem | Graded) -> ItemOutcome:
        if isinstance(entry, Graded):
            return entry.outcome
        return await one.outcome(run_id, entry)

    return await run_async(
        entries, work, sink, options, progress, concurrency=context.policy.concurrency
    )


class ModelGrader:
    """Grades one item with the heuristics, the judge and the graders, prepared once."""

    def __init__(
        self,
        grader: SessionGrader,
        models: ModelGrading,
        context: CallContext,
        reach: ModelReach | None = None,
    ) -> None:
        self.grader, self.models = grader, models
        self.graders, self.env = prepare(models, context)
        self.judge = StructuredJudge(models.judge_model, context) if models.judge_model else None
        self.reach = reach or ModelReach()

    async def outcome(
        self, run_id: str, entry: Item | EvalItem, *, judge_all: bool = False
    ) -> ItemOutcome:
        """What the store keeps for ``entry``; ``judge_all`` judges it even where sure (audit)."""
        models = self.models
        if judge_all and not models.judge_all:
            models = models.model_copy(update={"judge_all": True})
        return await _grade_one(
            entry, self.grader, self.graders, self.env, self.judge, models, run_id, self.reach
        )


async def _grade_one(
    entry: Item | EvalItem,
    grader: SessionGrader,
    graders: list[GraderSpec],
    env: GradeEnv,
    judge: StructuredJudge | None,
    models: ModelGrading,
    run_id: str,
    reach: ModelReach,
) -> ItemOutcome:
    try:
        if isinstance(entry, EvalItem):
            sample = Sample.from_text(entry.sample_text or "")
            results = await _run_graders(graders, entry.item, sample, env)
            reach.note_all((f"grader {r.name}", r.error) for r in results)
            result = _dataset_result(entry.key, results)
            return _outcome(run_id, entry.key, entry.key, None, None, entry.origin, result)
        result = await _grade_session(entry, grader, graders, env, judge, models, reach)
        outcome = _outcome(
            run_id, entry.key, entry.session_id, entry.condition, entry.domain, entry.origin, result
        )
        return replace(outcome, record=review_record(entry, result))
    except Exception as exc:
        error = GraderError(type=type(exc).__name__, message=scrub(str(exc)))
        session_id = entry.key if isinstance(entry, EvalItem) else entry.session_id
        return ItemOutcome(
            item_key=entry.key, session_id=session_id, condition=None, domain=None,
            source=entry.origin, result=None, grades=[], error=error,
        )  # fmt: skip


async def _grade_session(
    item: Item,
    grader: SessionGrader,
    graders: list[GraderSpec],
    env: GradeEnv,
    judge: StructuredJudge | None,
    models: ModelGrading,
    reach: ModelReach,
) -> EvalResult:
    report = grader.heuristics.grade(item.trajectory, item.learner_profile)
    checks: list[EvalCheck] = report.checks
    errors: list[str] = []
    disagreements: list[str] = []
    review: JudgeReview | None = None
    because = _why_judge(item, checks, models) if judge is not None else None
    if judge is not None and because is not None:
        instructions = (
            item.record.agent_instructions if isinstance(item.record, ReplayArtifact) else None
        )
        verdict = await judge.judge(item.session_id, item.trajectory, instructions)
        reach.note(f"judge {verdict.model}", verdict.error)
        if verdict.result is None:
            message = verdict.error.message if verdict.error else "no verdict"
            errors.append(f"judge {verdict.model}: {message}")
        else:
            review = judge_review(
                report.checks,
                verdict.result.checks,
                because,
                verdict.model,
                grader.heuristics.version,
                verdict.result.reason,
            )
            checks, disagreements = _merge(checks, verdict.result.checks)
    results = await _run_graders(graders, session_item(item), Sample.from_text(flatten(item)), env)
    reach.note_all((f"grader {r.name}", r.error) for r in results)
    errors.extend(f"grader {r.name}: {r.error.message}" for r in results if r.error)
    return grader.result(
        item,
        report,
        checks,
        results + grader.learned_results(item),
        errors=errors,
        disagreements=disagreements,
        judge=review,
    )


def _why_judge(item: Item, checks: list[EvalCheck], models: ModelGrading) -> JudgedBecause | None:
    """Why the judge sees this session, or None: all judged, an unsure check, or the audit."""
    if models.judge_all:
        return "all"
    if any(c.verdict == "unsure" for c in checks):
        return "unsure"
    if audit_pick(item.key, models.judge_audit, models.audit_seed):
        return "audit"
    return None


def _merge(
    heuristic: list[EvalCheck], judged: list[EvalCheck]
) -> tuple[list[EvalCheck], list[str]]:
    """Unsure heuristic checks take the judge's verdict; sure ones stay and are compared."""
    by_name = {c.name: c for c in judged}
    merged: list[EvalCheck] = []
    disagree: list[str] = []
    for check in heuristic:
        other = by_name.get(check.name)
        if other is None:
            merged.append(check)
        elif check.verdict == "unsure":
            merged.append(other)
        else:
            merged.append(check)
            if other.verdict != "unsure" and other.passed != check.passed:
                disagree.append(check.name)
    return merged, disagree


async def _run_graders(
    graders: list[GraderSpec], item: dict[str, Any], sample: Sample, env: GradeEnv
) -> list[GraderResult]:
    results: list[GraderResult] = [GraderResult(name="", type="")] * len(graders)

    async def one(index: int, spec: GraderSpec) -> None:
        results[index] = await spec.grade(item, sample, env)

    async with anyio.create_task_group() as group:
        for index, spec in enumerate(graders):
            group.start_soon(one, index, spec)
    return results


def session_item(item: Item) -> dict[str, Any]:
    """What ``{{ item.x }}`` sees for a session or a replay artifact.

    ``trajectory`` is the graded one. ``regenerated_trajectory`` is the same list, so templates
    written for the notebook's replay artifacts also work on logged sessions; an artifact adds its
    ``original_trajectory``.
    """
    turns = [t.model_dump(exclude_none=True) for t in item.trajectory]
    data: dict[str, Any] = {
        "session_id": item.session_id,
        "domain": item.domain,
        "condition": item.condition,
        "trajectory": turns,
        "regenerated_trajectory": turns,
    }
    if isinstance(item.record, ReplayArtifact):
        data["original_trajectory"] = [
            t.model_dump(exclude_none=True) for t in item.record.original_trajectory
        ]
    return data


def flatten(item: Item) -> str:
    """``sample.output_text`` of a session: its turns as ``ROLE: content`` lines."""
    return "\n".join(f"{t.role.upper()}: {t.content}" for t in item.trajectory)


def criteria_outcome(
    run_id: str, key: str, origin: str, results: list[GraderResult]
) -> ItemOutcome:
    """What the store keeps for a dataset item graded by ``results`` (testing criteria only)."""
    return _outcome(run_id, key, key, None, None, origin, _dataset_result(key, results))


def _dataset_result(key: str, results: list[GraderResult]) -> EvalResult:
    return build_result(key, decide_criteria(results), graders=results)


def _outcome(
    run_id: str,
    key: str,
    session_id: str,
    condition: str | None,
    domain: str | None,
    origin: str,
    result: EvalResult,
) -> ItemOutcome:
    grades = grader_grades(run_id, key, result)
    return ItemOutcome(
        item_key=key, session_id=session_id, condition=condition, domain=domain,
        source=origin, result=result, grades=grades, check_version="",
    )  # fmt: skip
