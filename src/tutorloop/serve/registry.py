"""The named datasets and evals the service offers: ``GET /v1/datasets`` and the POC routes.

* ``study-mode``: the bundled example sessions, graded with the Study Mode heuristics.
* ``refusal-smoke``: the PULSE refusal smoke's six prompts, classified ALLOW/REFUSE by the
  service's ``poc_model`` (``sim/study`` offline by default) and graded with its string check.

``final_report`` is shaped like openai/evals' final report: ``accuracy`` and the counts.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tutorloop.bundled import bundled_sessions
from tutorloop.load import iter_items
from tutorloop.pulse import bundled_refusal_dataset, run_local
from tutorloop.run import SessionGrader
from tutorloop.serve.config import ServeConfig

__all__ = ["DATASETS", "Dataset", "dataset", "final_report"]


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
