"""Result rows of a Ray run: every outcome, skip and input problem as one Parquet row.

A row's ``kind`` says what it is: ``item`` (a graded item: its EvalResult and grades, or its
error), ``artifact`` (a replay: its artifact, or its error), ``problem`` (an input that could
not be read) or ``skipped``. Records travel as their JSON, so what the store gets back is exactly
what the worker produced; ``fidelity`` and ``escalate`` are copied out for quick queries, and an
escalated item's graded session travels in ``review_json`` (the store keeps it for reviewers). The
heuristics' grades are not shipped: they are a function of the EvalResult
(:meth:`SessionGrader.grades`), rebuilt on import, which halves what the workers write; grades
from model graders and the judge are (``grades_json``: the outcome's grades and its
``check_version``, or, in rows written before, a list of every grade).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

from tutorloop.errors import Problem
from tutorloop.load import Skipped
from tutorloop.records import EvalResult, Grade, GraderError, ReplayArtifact, Session
from tutorloop.run import SessionGrader, grader_grades
from tutorloop.store import ArtifactOutcome, ItemOutcome

Row = dict[str, Any]

_STRING_COLUMNS = (
    "kind", "item_key", "session_id", "condition", "domain", "model", "mode", "persona",
    "source", "record_json", "grades_json", "error_type", "error_message", "review_json",
)  # fmt: skip


def result_schema() -> Any:
    """The Arrow schema of a result row."""
    import pyarrow as pa

    fields = [(name, pa.string()) for name in _STRING_COLUMNS]
    fields += [("fidelity", pa.float64()), ("escalate", pa.bool_())]
    return pa.schema(fields)


def rows_table(rows: Iterable[Row]) -> Any:
    """A pyarrow Table of result rows (every column present, typed)."""
    import pyarrow as pa

    schema = result_schema()
    listed = list(rows)
    columns = {name: [row.get(name) for row in listed] for name in schema.names}
    return pa.table(columns, schema=schema)


def item_row(outcome: ItemOutcome, *, with_grades: bool = False) -> Row:
    """The row of a graded item (its grades too when they are not the heuristics' alone)."""
    result = outcome.result
    grades = None
    if with_grades:
        dumped = [g.model_dump(mode="json") for g in outcome.grades]
        grades = {"grades": dumped, "check_version": outcome.check_version}
    return {
        "grades_json": json.dumps(grades) if grades is not None else None,
        "kind": "item",
        "item_key": outcome.item_key,
        "session_id": outcome.session_id,
        "condition": outcome.condition,
        "domain": outcome.domain,
        "source": outcome.source,
        "record_json": result.model_dump_json() if result else None,
        "error_type": outcome.error.type if outcome.error else None,
        "error_message": outcome.error.message if outcome.error else None,
        "fidelity": result.pedagogical_fidelity_score if result else None,
        "escalate": result.escalate if result else None,
        "review_json": outcome.record.model_dump_json() if outcome.record else None,
    }


def artifact_row(outcome: ArtifactOutcome) -> Row:
    """The row of a replay."""
    artifact = outcome.artifact
    return {
        "kind": "artifact",
        "item_key": outcome.item_key,
        "session_id": outcome.session_id,
        "condition": outcome.condition,
        "model": outcome.model,
        "mode": outcome.mode,
        "persona": outcome.persona,
        "source": outcome.source,
        "record_json": artifact.model_dump_json() if artifact else None,
        "error_type": outcome.error_type,
        "error_message": outcome.error_message,
    }


def problem_row(problem: Problem) -> Row:
    """The row of an input that could not be read."""
    return {
        "kind": "problem",
        "source": problem.path,
        "record_json": json.dumps(asdict(problem), ensure_ascii=False),
        "error_type": "InputProblem",
        "error_message": str(problem),
    }


def skipped_row(skipped: Skipped) -> Row:
    """The row of a file that is not a session."""
    return {"kind": "skipped", "source": skipped.path, "error_message": skipped.reason}


def outcome_of(
    row: Row, run_id: str, grader: SessionGrader
) -> ItemOutcome | ArtifactOutcome | Problem | Skipped:
    """What a result row stands for, rebuilt as the local engine's record (grades included)."""
    kind = row["kind"]
    if kind == "problem":
        return Problem(**json.loads(row["record_json"]))
    if kind == "skipped":
        return Skipped(row["source"], row["error_message"])
    if kind == "artifact":
        text = row["record_json"]
        return ArtifactOutcome(
            item_key=row["item_key"],
            session_id=row["session_id"],
            condition=row["condition"],
            model=row["model"],
            mode=row["mode"],
            persona=row["persona"],
            source=row["source"],
            artifact=ReplayArtifact.model_validate_json(text) if text else None,
            error_type=row["error_type"],
            error_message=row["error_message"],
        )
    error = None
    if row["error_type"] is not None:
        error = GraderError(type=row["error_type"], message=row["error_message"] or "")
    text = row["record_json"]
    result = EvalResult.model_validate_json(text) if text else None
    grades, check_version = _grades(row, run_id, grader, result)
    return ItemOutcome(
        item_key=row["item_key"],
        session_id=row["session_id"],
        condition=row["condition"],
        domain=row["domain"],
        source=row["source"],
        result=result,
        grades=grades,
        error=error,
        record=_review_record(row.get("review_json")),
        check_version=check_version,
    )


def _review_record(text: str | None) -> Session | ReplayArtifact | None:
    """The record an escalated item keeps for its reviewers (rows written before: none)."""
    if not text:
        return None
    if "regenerated_trajectory" in json.loads(text):
        return ReplayArtifact.model_validate_json(text)
    return Session.model_validate_json(text)


def _grades(
    row: Row, run_id: str, grader: SessionGrader, result: EvalResult | None
) -> tuple[list[Grade], str | None]:
    """The outcome's grades and ``check_version`` (see :class:`tutorloop.store.ItemOutcome`)."""
    shipped = row.get("grades_json")
    if shipped is None:
        return grader_grades(run_id, row["item_key"], result), grader.heuristics.version
    data = json.loads(shipped)
    if isinstance(data, list):  # every grade, as rows were written before
        return [Grade.model_validate(g) for g in data], None
    return [Grade.model_validate(g) for g in data["grades"]], data["check_version"]
