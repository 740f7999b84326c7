"""Registry evals by name (``tutorloop oaieval MODEL EVAL``): load → generate → grade → store.

A run of a registry eval is the run engine (:mod:`tutorloop.run.engine`) with the eval's samples
as its source, one async worker (the candidate model answers the sample's ``input``; the eval
class's check, or for ``ModelBasedClassify`` the judge model, grades the answer) and
:class:`~tutorloop.run.outcomes.StoredOutcomes` as its sink: one stored run, one item per sample
(keyed ``<base_eval>.<split>.<index>`` as oaieval keys samples), so a rerun with the same run id
grades only what is not stored yet. The final report is computed from the stored items, with
oaieval's field names for the class, and kept in the run's manifest (``config.final_report``).

``max_samples`` takes that many samples chosen with the seed (in file order), as oaieval does;
the seed also draws ``boostrap_std``'s half-samples. Every problem of the samples file is found
before the first call.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import anyio
from pydantic import BaseModel, ConfigDict, Field

from tutorloop._sync import off_event_loop
from tutorloop.bundled import bundled_registry
from tutorloop.decide import decide_criteria
from tutorloop.errors import ConfigError, InputProblems, Problem, scrub
from tutorloop.generate import (
    CallContext,
    GenerateRequest,
    Message,
    Purpose,
    full_model_name,
    split_model,
)
from tutorloop.grade import (
    ModelBasedClassify,
    RegistryCheck,
    as_messages,
    modelgraded_spec_name,
    registry_check,
    registry_error,
    registry_report,
    registry_result,
)
from tutorloop.load import EvalRegistry, RegistrySample
from tutorloop.records import GraderError, GraderResult, OaiEvalReport, RegistryEval, RunStatus
from tutorloop.run.common import RunReport, new_manifest, new_run_id
from tutorloop.run.config import RunConfig
from tutorloop.run.engine import Progress, run_async
from tutorloop.run.grading import ModelAccess
from tutorloop.run.oaieval_record import write_oaieval_record
from tutorloop.run.outcomes import StoredOutcomes
from tutorloop.run.reach import ModelReach
from tutorloop.run.session import build_result, outcome_grades
from tutorloop.store import ItemOutcome, Store

__all__ = [
    "DEFAULT_SEED",
    "OaiEvalOptions",
    "PreparedEval",
    "oaieval",
    "oaieval_async",
    "prepare_eval",
]

DEFAULT_SEED = 20220722
"""oaieval's default seed."""


class OaiEvalOptions(BaseModel):
    """What to run: which eval of which registry, against which model."""

    model_config = ConfigDict(extra="forbid")

    model: str
    """The candidate, ``provider/model`` (``sim/study`` offline, ``openai/gpt-4.1-mini``)."""
    eval_name: str
    """An alias (``test-match``) or a full id (``test-match.s1.simple-v0``)."""
    registry: Path | None = None
    """The registry folder (default: the bundled one)."""
    judge_model: str | None = None
    """The judge of model-graded evals; named explicitly, never a hidden default."""
    max_samples: int | None = Field(default=None, ge=1)
    """Grade at most this many samples (chosen with the seed)."""
    seed: int = DEFAULT_SEED
    record_path: Path | None = None
    """Also write the run as oaieval's record file (JSONL) here."""


@dataclass(frozen=True)
class PreparedEval:
    """A registry eval resolved and checked, ready to run."""

    registry: EvalRegistry
    spec: RegistryEval
    check: RegistryCheck
    samples_path: Path
    keys: list[str]
    """The keys of the samples to grade, in file order."""


def prepare_eval(options: OaiEvalOptions, registry: EvalRegistry | None = None) -> PreparedEval:
    """Resolve the eval, build its check and read its samples once, before any call.

    Raises:
        ConfigError: an unknown eval or class, a missing samples file or spec, a model-graded
            eval without ``judge_model``.
        InputProblems: every sample line that is not a sample.
    """
    found = registry or EvalRegistry.open(options.registry or bundled_registry())
    spec = found.resolve(options.eval_name)
    spec_name = modelgraded_spec_name(spec)
    where = f"{spec.path}:{spec.line}" if spec.line else spec.path
    modelgraded = found.modelgraded_spec(spec_name, where=where) if spec_name else None
    check: RegistryCheck = registry_check(spec, modelgraded)
    if isinstance(check, ModelBasedClassify) and not options.judge_model:
        raise ConfigError(
            f"{spec.eval_id} is model-graded (spec '{spec_name}'): name its judge with "
            "--judge provider/model (or MODEL,JUDGE as oaieval takes it)",
            field="--judge",
        )
    path = found.samples_path(spec)
    problems: list[Problem] = []
    keys: list[str] = []
    for entry in found.iter_samples(spec):
        if isinstance(entry, Problem):
            problems.append(entry)
        else:
            keys.append(entry.key)
    if problems:
        raise InputProblems(problems)
    if options.max_samples is not None and options.max_samples < len(keys):
        chosen = set(random.Random(options.seed).sample(range(len(keys)), options.max_samples))
        keys = [k for i, k in enumerate(keys) if i in chosen]
    return PreparedEval(found, spec, check, path, keys)


@off_event_loop
def oaieval(
    options: OaiEvalOptions,
    run: RunConfig | None = None,
    access: ModelAccess | None = None,
    progress: Progress | None = None,
) -> OaiEvalReport:
    """Run a registry eval by name into the store; return oaieval's final report.

    Raises:
        ConfigError, InputProblems: see :func:`prepare_eval`.
        ModelsUnreachable: the candidate or the judge never answered.
        RunFailed: more samples errored than ``run.fail_on_error`` allows.
    """
    run = run or RunConfig()
    access = access or ModelAccess()
    prepared = prepare_eval(options)
    with Store.open(run.store_path) as store:

        async def go() -> OaiEvalReport:
            ledger = store.path.parent / "calls.db"
            async with CallContext(access.policy, access.settings, ledger_path=ledger) as context:
                return await oaieval_async(options, store, context, run, progress, prepared)

        return anyio.run(go, backend="asyncio")


async def oaieval_async(
    options: OaiEvalOptions,
    store: Store,
    context: CallContext,
    run: RunConfig | None = None,
    progress: Progress | None = None,
    prepared: PreparedEval | None = None,
) -> OaiEvalReport:
    """Run a registry eval on the run engine into ``store`` with ``context``'s models."""
    run = run or RunConfig()
    prepared = prepared or prepare_eval(options)
    spec, check = prepared.spec, prepared.check
    for name in (options.model, options.judge_model):
        if name:
            # an unknown provider or a missing key fails here, before any call
            context.provider(split_model(full_model_name(name))[0])
    run_id = run.run_id or new_run_id()
    settings = {
        "eval": spec.model_dump(mode="json"),
        "model": options.model,
        "judge_model": options.judge_model,
        "max_samples": options.max_samples,
        "seed": options.seed,
    }
    manifest = store.start_run(new_manifest(run_id, "oaieval", [prepared.samples_path], settings))
    report = RunReport(manifest=manifest)
    sink = StoredOutcomes(store, run_id, report)
    reach = ModelReach()
    worker = _Worker(options, spec, check, context, run_id, reach)
    source = _selected(prepared.registry, spec, set(prepared.keys))
    await run_async(
        source, worker.work, sink, run, progress, concurrency=context.policy.concurrency
    )
    return _finish(store, run_id, options, prepared, reach)


def _selected(
    registry: EvalRegistry, spec: RegistryEval, keys: set[str]
) -> Iterator[RegistrySample | Problem]:
    for entry in registry.iter_samples(spec):
        if isinstance(entry, Problem) or entry.key in keys:
            yield entry


class _Worker:
    """Grades one sample: the candidate's answer, then the class's check (or the judge)."""

    def __init__(
        self,
        options: OaiEvalOptions,
        spec: RegistryEval,
        check: RegistryCheck,
        context: CallContext,
        run_id: str,
        reach: ModelReach,
    ) -> None:
        self.spec = spec
        self.check = check
        self.run_id = run_id
        self.reach = reach
        self.candidate = context.model(full_model_name(options.model))
        judge = options.judge_model
        self.judge = context.model(full_model_name(judge)) if judge else None
        max_tokens = spec.args.get("max_tokens")
        self.max_tokens = max_tokens if isinstance(max_tokens, int) and max_tokens > 0 else None

    async def work(self, sample: RegistrySample) -> ItemOutcome:
        """The stored outcome of ``sample``; a failed call is the sample's error, as data."""
        result = await self._grade(sample)
        evaluated = build_result(sample.key, decide_criteria([result]), graders=[result])
        return ItemOutcome(
            item_key=sample.key,
            session_id=sample.key,
            condition=None,
            domain=None,
            source=sample.origin,
            result=evaluated,
            grades=outcome_grades(self.run_id, sample.key, evaluated),
            error=result.error,
        )

    async def _grade(self, sample: RegistrySample) -> GraderResult:
        check = self.check
        if isinstance(check, ModelBasedClassify):
            return await self._classify(check, sample)
        messages = as_messages(sample.data["input"])
        try:
            sampled = await self._complete(messages, sample)
        except Exception as exc:
            return registry_error(self.spec, check, "completion", exc)
        try:
            verdict = check.check(sampled, sample.data)
        except ValueError as exc:
            return registry_error(self.spec, check, "evaluation", exc)
        return registry_result(self.spec, check, verdict, completion=sampled, turn=len(messages))

    async def _classify(self, check: ModelBasedClassify, sample: RegistrySample) -> GraderResult:
        completions: dict[str, str] = {}
        turn = 0
        try:
            for output, messages in check.candidate_prompts(sample.data).items():
                completions[output] = await self._complete(messages, sample)
                turn = turn or len(messages)
        except Exception as exc:
            return registry_error(self.spec, check, "completion", exc)
        assert self.judge is not None  # prepare_eval refuses a model-graded eval without one
        try:
            messages = check.judge_messages(sample.data, completions)
            request = GenerateRequest(
                model=self.judge.name,
                messages=tuple(Message.model_validate(m) for m in messages),
                temperature=0.0,
                purpose=Purpose.REGISTRY_CLASSIFY,
                context={
                    "eval": self.spec.eval_id,
                    "spec": check.spec_name,
                    "eval_type": check.kind,
                    "choices": check.choices,
                    "sample": sample.data,
                    "completions": completions,
                },
            )
            reply = await self.judge.generate(request)
        except Exception as exc:
            self.reach.note(f"judge {self.judge.name}", _error(exc))
            return registry_error(self.spec, check, "evaluation", exc)
        self.reach.note(f"judge {self.judge.name}", None)
        blob = json.dumps(messages, sort_keys=True, ensure_ascii=False).encode("utf-8")
        sha = hashlib.sha256(blob).hexdigest()
        verdict = check.verdict(reply.text)
        shown = "\n\n".join(completions.values())
        return registry_result(
            self.spec, check, verdict, prompt_sha256=sha, completion=shown, turn=turn
        )

    async def _complete(self, messages: list[dict[str, str]], sample: RegistrySample) -> str:
        temperature = None if self.check.KIND == "Includes" else 0.0
        request = GenerateRequest(
            model=self.candidate.name,
            messages=tuple(Message.model_validate(m) for m in messages),
            temperature=temperature,
            max_output_tokens=self.max_tokens,
            purpose=Purpose.REGISTRY_CANDIDATE,
            context={"eval": self.spec.eval_id, "sample": sample.data},
        )
        who = f"model {self.candidate.name}"
        try:
            response = await self.candidate.generate(request)
        except Exception as exc:
            self.reach.note(who, _error(exc))
            raise
        self.reach.note(who, None)
        return response.text


def _error(exc: BaseException) -> GraderError:
    return GraderError(type=type(exc).__name__, message=scrub(str(exc)))


def _finish(
    store: Store, run_id: str, options: OaiEvalOptions, prepared: PreparedEval, reach: ModelReach
) -> OaiEvalReport:
    spec, check = prepared.spec, prepared.check
    results: list[GraderResult] = []
    errored = 0
    for item in store.iter_items(run_id):
        graded = item.result.graders if item.result is not None else []
        results.extend(graded)
        if item.status == "error":
            errored += 1
    final = registry_report(check, results, options.seed)
    manifest = store.get_run(run_id)
    manifest.config["final_report"] = final
    store.update_manifest(manifest)
    status: RunStatus = "failed" if reach.never_reached() else "completed"
    finished = datetime.now(UTC).isoformat(timespec="seconds")
    store.finish_run(run_id, status, store.count_items(run_id), finished)
    if options.record_path is not None:
        write_oaieval_record(store, run_id, prepared.registry, options.record_path)
    reach.check(run_id)
    return OaiEvalReport(
        run_id=run_id,
        eval_name=spec.eval_id,
        class_name=check.KIND,
        model=options.model,
        judge_model=options.judge_model,
        final_report=final,
        samples=len(results),
        errored=errored,
    )
