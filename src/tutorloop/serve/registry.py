"""The named datasets and evals the service offers: ``GET /v1/datasets`` and the POC routes.

* ``study-mode``: the bundled example sessions, graded with the Study Mode heuristics.
* ``refusal-smoke``: the PULSE refusal smoke's six prompts, classified ALLOW/REFUSE by the
  service's ``poc_model`` (``sim/study`` offline by default) and graded with its string check.
* every eval of the service's registry folder (``registry_path``, openai/evals layout; default
  the bundled one, with ``test-match``): run by name against ``poc_model`` (model-graded ones
  judged by ``poc_judge``) on the run engine, stored as a run (:func:`registry_report`).

``final_report`` is shaped like openai/evals' final report: ``accuracy`` and the counts.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio

from tutorloop.bundled import bundled_registry, bundled_sessions
from tutorloop.generate import CallContext
from tutorloop.load import EvalRegistry, iter_items
from tutorloop.pulse import bundled_refusal_dataset, run_local
from tutorloop.run import OaiEvalOptions, SessionGrader, oaieval_async, prepare_eval
from tutorloop.serve.config import ServeConfig
from tutorloop.store import Store

__all__ = [
    "DATASETS",
    "Dataset",
    "dataset",
    "eval_registry",
    "final_report",
    "registry_report",
]


@dataclass(frozen=True)
class Dataset:
    """A dataset the service can run by name."""

    name: str
    kind: str
    """``sessions`` (Study Mode sessions) or ``eval_items`` (``{"item": ...}`` JSONL)."""
    description: str
    path: Path

    def as_json(self) -> dict[str, Any]:
        """What ``GET /v1/datasets`` lists."""
        return {"name": self.name, "kind": self.kind, "description": self.description}


DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in (
        Dataset(
            "study-mode",
            "sessions",
            "The bundled Study Mode example sessions, graded with the seven heuristics.",
            bundled_sessions(),
        ),
        Dataset(
            "refusal-smoke",
            "eval_items",
            "The PULSE refusal smoke: six prompts to classify ALLOW or REFUSE.",
            bundled_refusal_dataset(),
        ),
    )
}
"""Every dataset by name."""


def dataset(name: str) -> Dataset | None:
    """The dataset called ``name``, or None."""
    return DATASETS.get(name)


def final_report(name: str, config: ServeConfig, grader: SessionGrader) -> dict[str, Any]:
    """Run the eval called ``name`` (blocking) and return its final report.

    Raises:
        KeyError: no such eval.
        TutorloopError: the model of ``refusal-smoke`` cannot be reached.
    """
    found = DATASETS[name]
    if name == "refusal-smoke":
        data = found.path.read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        report = run_local(data, sha, config.poc_model, config.upstream, config.calls)
        counts = report.counts
        total = counts.total
        return {
            "eval": name,
            "model": config.poc_model,
            "accuracy": counts.passed / total if total else 0.0,
            "counts": counts.as_dict(),
            "status": report.status,
        }
    passed = failed = 0
    fidelity = 0.0
    for item in iter_items([found.path]):
        result = grader.grade(item)
        fidelity += result.pedagogical_fidelity_score
        if result.escalate:
            failed += 1
        else:
            passed += 1
    total = passed + failed
    return {
        "eval": name,
        "accuracy": passed / total if total else 0.0,
        "mean_fidelity": fidelity / total if total else 0.0,
        "counts": {"total": total, "passed": passed, "failed": failed, "errored": 0},
    }


def eval_registry(config: ServeConfig) -> EvalRegistry:
    """The service's registry folder, read now (blocking; edits show at the next request).

    Raises:
        ConfigError, InputProblems: the folder is not a registry, or its YAML has problems.
    """
    return EvalRegistry.open(config.registry_path or bundled_registry())


async def registry_report(
    name: str, registry: EvalRegistry, config: ServeConfig, store: Store, context: CallContext
) -> dict[str, Any]:
    """Run the registry eval ``name`` against ``poc_model``; ``{"final_report", "run_id"}``.

    Raises:
        TutorloopError: the eval cannot run (its class, samples or spec; no judge for a
            model-graded eval) or its models were never reached.
    """
    options = OaiEvalOptions(model=config.poc_model, eval_name=name, judge_model=config.poc_judge)
    prepared = await anyio.to_thread.run_sync(prepare_eval, options, registry)
    report = await oaieval_async(options, store, context, prepared=prepared)
    return {"final_report": report.final_report, "run_id": report.run_id}
