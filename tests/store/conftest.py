from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from tutorloop.records import (
    EscalationReason,
    EvalCheck,
    EvalResult,
    Failure,
    Grade,
    GraderError,
    RunManifest,
)
from tutorloop.store import ItemOutcome, Store

MakeOutcome = Callable[..., ItemOutcome]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "tutorloop.db") as opened:
        yield opened


def manifest(run_id: str = "run-1", created_at: str = "2025-01-01T00:00:00+00:00") -> RunManifest:
    return RunManifest(run_id=run_id, created_at=created_at, package_version="0.1.0")


@pytest.fixture
def make_manifest() -> Callable[..., RunManifest]:
    return manifest


def _outcome(
    key: str,
    *,
    run_id: str = "run-1",
    fidelity: float = 0.5,
    escalate: bool = False,
    checks: Sequence[tuple[str, bool]] = (("diagnosis_first", False), ("one_question", True)),
    failures: Sequence[str] = (),
    reasons: Sequence[str] = (),
    graders: Sequence[str] = ("study_mode.diagnosis_first",),
    error: tuple[str, str] | None = None,
    with_result: bool = True,
    condition: str | None = "overlay",
) -> ItemOutcome:
    result = None
    if with_result:
        result = EvalResult(
            session_id=f"s-{key}",
            pedagogical_fidelity_score=fidelity,
            escalate=escalate,
            checks=[EvalCheck(name=name, passed=passed) for name, passed in checks],
            failures=[Failure(name=f, severity="high", checks=["x"]) for f in failures],
            escalation_reasons=[EscalationReason(code=c, message=c) for c in reasons],
            severity="high" if failures else None,
        )
    grades = [
        Grade(
            run_id=run_id,
            item_key=key,
            grader=name,
            grader_version="1",
            passed=True,
            verdict="pass",
            score=1.0,
        )
        for name in graders
    ]
    return ItemOutcome(
        item_key=key,
        session_id=f"s-{key}",
        condition=condition,
        domain="math",
        source="sessions.jsonl",
        result=result,
        grades=grades,
        error=None if error is None else GraderError(type=error[0], message=error[1]),
    )


@pytest.fixture
def make_outcome() -> MakeOutcome:
    return _outcome
