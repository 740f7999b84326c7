"""The verbs: ``grade``, ``replay``, ``report``, ``compare`` and ``align_run``, and async twins.

Each takes its inputs (paths, records in memory, a run object) and one config model, and returns
a run object (or the report, or the comparison). The sync verbs work inside a running event loop
too (a Jupyter cell): a run that starts an event loop of its own (grading, replay, the alignment
benchmark) moves there to a worker thread (:mod:`tutorloop._sync`). The async twins do the
blocking work (SQLite, the heuristics, the report) on a worker thread, so they never stall the
caller's loop.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import overload

import anyio

from tutorloop._sync import run_sync_coroutine
from tutorloop.align import AlignConfig, run_align_async
from tutorloop.analyse import Comparison
from tutorloop.api.inputs import Inputs, input_paths, store_file
from tutorloop.api.runs import AlignRun, GradeRun, ReplayRun
from tutorloop.errors import ConfigError
from tutorloop.present import ReportOptions, build_report, write_report
from tutorloop.pulse import compare_conditions, compare_runs
from tutorloop.run import (
    GradeConfig,
    ModelAccess,
    ModelGrading,
    ReplayConfig,
    RunConfig,
    RunReport,
    grade_paths,
    grade_run,
    new_run_id,
    replay_paths_async,
)

Progress = Callable[..., None]
"""Told ``progress(done)`` as items finish (and, for runs that call models, the cost so far)."""


def _inputs_file(store_path: Path, run_id: str) -> Path:
    return store_path.parent / "inputs" / f"{run_id}.jsonl"


def _grading(
    inputs: Inputs | GradeRun | ReplayRun,
    config: GradeConfig | None,
    run: RunConfig | None,
    models: ModelGrading | None,
    access: ModelAccess | None,
    progress: Progress | None,
) -> tuple[Callable[[], RunReport], Path]:
    """The grading call the inputs ask for, and the store it writes to."""
    options = run or RunConfig()
    if isinstance(inputs, GradeRun | ReplayRun):
        if options.run_id not in (None, inputs.run_id):
            raise ConfigError(
                f"run {inputs.run_id!r} is graded in place; drop run_id={options.run_id!r}",
                field="run.run_id",
            )
        store_path = store_file(options.store_path or inputs.store_path)
        options = options.model_copy(update={"store_path": store_path, "run_id": inputs.run_id})
        work = partial(grade_run, inputs.run_id, config, options, progress, models, access)
        return work, store_path
    store_path = store_file(options.store_path)
    run_id = options.run_id or new_run_id()
    options = options.model_copy(update={"store_path": store_path, "run_id": run_id})
    paths = input_paths(inputs, _inputs_file(store_path, run_id))
    return partial(grade_paths, paths, config, options, progress, models, access), store_path


async def grade_async(
    inputs: Inputs | GradeRun | ReplayRun,
    config: GradeConfig | None = None,
    *,
    run: RunConfig | None = None,
    models: ModelGrading | None = None,
    access: ModelAccess | None = None,
    progress: Progress | None = None,
) -> GradeRun:
    """Grade sessions into the store: heuristics, then any judge and graders; the decision.

    Args:
        inputs: Session or artifact files and folders, :class:`Session` or
            :class:`ReplayArtifact` records, a list of them; or a :class:`ReplayRun` (every
            condition of it is graded into the same run) or a :class:`GradeRun` to resume.
        config: Heuristic thresholds, the decision, learned graders.
        run: The run's id (reuse one to resume), store, batching and error threshold.
        models: Testing-criteria graders and the structured judge, when any.
        access: How those graders reach their models (call policy, provider settings).
        progress: Called as items finish.

    Returns:
        The graded run. Inputs it could not read are in ``problems``; the rest is graded.

    Raises:
        ConfigError: a bad config or input, or a run id that is not the given run's.
        StoreError: the store cannot be opened or written.
    """
    work, store_path = _grading(inputs, config, run, models, access, progress)
    report = await anyio.to_thread.run_sync(work)
    return GradeRun(report.manifest, store_path, report)


def grade(
    inputs: Inputs | GradeRun | ReplayRun,
    config: GradeConfig | None = None,
    *,
    run: RunConfig | None = None,
    models: ModelGrading | None = None,
    access: ModelAccess | None = None,
    progress: Progress | None = None,
) -> GradeRun:
    """Grade sessions into the store (see :func:`grade_async`); also inside a running loop."""
    work, store_path = _grading(inputs, config, run, models, access, progress)
    report = work()  # inside a running loop, grading moves to a worker thread of its own
    return GradeRun(report.manifest, store_path, report)


async def replay_async(
    inputs: Inputs,
    config: ReplayConfig | None = None,
    *,
    run: RunConfig | None = None,
    access: ModelAccess | None = None,
    progress: Progress | None = None,
) -> ReplayRun:
    """Replay sessions through a model under each condition (human, base, overlay).

    Args:
        inputs: Session or artifact files and folders, records, or a list of them (an
            artifact is replayed from its original, logged trajectory).
        config: The model, the conditions, the mode, the overlay and simulated learners.
        run: The run's id (reuse one to resume), store, batching and error threshold.
        access: How the replay reaches its models (call policy, provider settings).
        progress: Called as replays finish, with the cost so far.

    Returns:
        The replay run; grade it with :func:`grade`.

    Raises:
        ConfigError: a bad config or input; a model that cannot be used (before any call).
        StoreError: the store cannot be opened or written.
    """
    options = run or RunConfig()
    store_path = store_file(options.store_path)
    run_id = options.run_id or new_run_id()
    options = options.model_copy(update={"store_path": store_path, "run_id": run_id})
    paths = input_paths(inputs, _inputs_file(store_path, run_id))
    access = access or ModelAccess()
    report = await replay_paths_async(
        paths, config or ReplayConfig(), access.policy, access.settings, options, progress
    )
    return ReplayRun(report, store_path)


def replay(
    inputs: Inputs,
    config: ReplayConfig | None = None,
    *,
    run: RunConfig | None = None,
    access: ModelAccess | None = None,
    progress: Progress | None = None,
) -> ReplayRun:
    """Replay sessions through a model (see :func:`replay_async`); also inside a running loop."""
    call = partial(replay_async, inputs, config, run=run, access=access, progress=progress)
    return run_sync_coroutine(call)


def _report_options(run: GradeRun | str, options: ReportOptions | None) -> ReportOptions:
    options = options or ReportOptions()
    if isinstance(run, GradeRun) and options.store_path is None:
        options = dataclasses.replace(options, store_path=run.store_path)
    return options


def _run_id(run: GradeRun | str) -> str:
    return run.run_id if isinstance(run, GradeRun) else run


@overload
async def report_async(
    run: GradeRun | str, out: None = None, options: ReportOptions | None = None
) -> str: ...
@overload
async def report_async(
    run: GradeRun | str, out: Path | str, options: ReportOptions | None = None
) -> Path: ...
async def report_async(
    run: GradeRun | str, out: Path | str | None = None, options: ReportOptions | None = None
) -> str | Path:
    """The self-contained HTML report of a graded run: the document, or the file written.

    Args:
        run: A graded run, or the id of one in ``options.store_path``.
        out: Write the report here (atomically) and return the path; without it, return the
            HTML (in a notebook: ``IPython.display.HTML(report(run))``).
        options: Another run to compare with, the gate policy, the queue's size, human labels.

    Raises:
        ConfigError: a bad option or policy file.
        StoreError: the store cannot be read or a run is unknown.
    """
    run_id, chosen = _run_id(run), _report_options(run, options)
    if out is None:
        return await anyio.to_thread.run_sync(build_report, run_id, chosen)
    return await anyio.to_thread.run_sync(write_report, run_id, out, chosen)


@overload
def report(run: GradeRun | str, out: None = None, options: ReportOptions | None = None) -> str: ...
@overload
def report(run: GradeRun | str, out: Path | str, options: ReportOptions | None = None) -> Path: ...
def report(
    run: GradeRun | str, out: Path | str | None = None, options: ReportOptions | None = None
) -> str | Path:
    """The HTML report of a graded run (see :func:`report_async`)."""
    run_id, chosen = _run_id(run), _report_options(run, options)
    if out is None:
        return build_report(run_id, chosen)
    return write_report(run_id, out, chosen)


def _compare(
    a: GradeRun | str,
    b: GradeRun | str | None,
    conditions: tuple[str, str] | None,
    store_path: Path | str | None,
) -> Comparison:
    stores = {r.store_path for r in (a, b) if isinstance(r, GradeRun)}
    if store_path is None and len(stores) > 1:
        raise ConfigError("the two runs are in different stores; compare runs of one store")
    where = store_file(store_path if store_path is not None else next(iter(stores), None))
    if b is not None and conditions is not None:
        raise ConfigError("give either a second run or conditions, not both", field="conditions")
    if b is None:
        first, second = conditions or ("base", "overlay")
        return compare_conditions(_run_id(a), first, second, where)
    return compare_runs(_run_id(a), _run_id(b), where)


async def compare_async(
    a: GradeRun | str,
    b: GradeRun | str | None = None,
    *,
    conditions: tuple[str, str] | None = None,
    store_path: Path | str | None = None,
) -> Comparison:
    """Run ``a`` against run ``b``, or two conditions of ``a`` (default base against overlay).

    Items are paired by session (and simulated learner); each check gets both pass rates and an
    exact McNemar p-value, the fidelity delta a 95 % paired bootstrap interval, and the pairs
    that got worse are listed with the checks they newly failed.

    Raises:
        ConfigError: both a second run and conditions, or runs in two stores.
        StoreError: a run is unknown.
    """
    return await anyio.to_thread.run_sync(_compare, a, b, conditions, store_path)


def compare(
    a: GradeRun | str,
    b: GradeRun | str | None = None,
    *,
    conditions: tuple[str, str] | None = None,
    store_path: Path | str | None = None,
) -> Comparison:
    """Compare two runs or two conditions (see :func:`compare_async`)."""
    return _compare(a, b, conditions, store_path)


async def align_run_async(
    config: AlignConfig, *, access: ModelAccess | None = None, progress: Progress | None = None
) -> AlignRun:
    """Run the alignment benchmark: every test under every persona with every model, judged.

    Args:
        config: The dataset, models, personas, judge, output folder and run id (to resume).
        access: How the models and the judge are reached (call policy, provider settings).
        progress: Told the total, then each finished row.

    Raises:
        InputProblems: the dataset has bad lines (all of them are listed).
        ConfigError: an unknown persona, a malformed model name, a missing key.
        FatalModelError: the judge does not answer, or a model rejects the key or the name.
    """
    access = access or ModelAccess()
    report = await run_align_async(config, access.policy, access.settings, progress)
    return AlignRun(report)


def align_run(
    config: AlignConfig, *, access: ModelAccess | None = None, progress: Progress | None = None
) -> AlignRun:
    """Run the alignment benchmark (see :func:`align_run_async`); also inside a running loop."""
    return run_sync_coroutine(partial(align_run_async, config, access=access, progress=progress))
