"""How items, grades and manifests become SQLite rows, and how rows become records again."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from tutorloop.errors import StoreError
from tutorloop.records import Grade, ReplayArtifact, RunManifest, Session
from tutorloop.store._sqlite import utc_now
from tutorloop.store.judge import insert_judge_checks, judge_check_rows
from tutorloop.store.outcome import ItemOutcome

INSERT_ITEM = """
    INSERT OR IGNORE INTO items (
        run_id, item_key, session_id, condition, domain, source, status, fidelity, escalate,
        severity, result_json, error_type, error_message, seq, graded_at
    ) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""
INSERT_GRADE = """
    INSERT INTO grades (
        run_id, item_key, grader, grader_version, passed, verdict, score, confidence, source,
        grade_json
    ) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""
INSERT_RECORD = """
    INSERT OR IGNORE INTO item_records (run_id, item_key, record_json)
    SELECT ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM artifacts WHERE run_id = ? AND item_key = ?)
"""
"""Keep an escalated item's record, unless the run's replay of it holds the same turns."""
ITEM_COLUMNS = (
    "item_key, session_id, condition, domain, source, status, result_json, error_type, "
    "error_message, seq"
)
RESULT_LISTS = ("checks", "graders")
"""The lists of an EvalResult whose entries carry a ``name``."""


def names_query(array: str) -> str:
    """The distinct ``name`` of the entries of one result list, in order of first appearance."""
    if array not in RESULT_LISTS:
        raise ValueError(f"not a named list of results: {array!r}")
    return f"""
    SELECT json_extract(c.value, '$.name') AS name
    FROM items AS i, json_each(i.result_json, '$.{array}') AS c
    WHERE i.run_id = ? AND i.result_json IS NOT NULL
    GROUP BY name HAVING name IS NOT NULL
    ORDER BY MIN(i.seq), MIN(c.key)
"""


INSERT_RUN = """
    INSERT INTO runs (run_id, kind, status, created_at, updated_at, manifest_json)
    VALUES (?, ?, ?, ?, ?, ?)
"""
UPDATE_RUN = """
    UPDATE runs SET kind = ?, status = ?, updated_at = ?, manifest_json = ? WHERE run_id = ?
"""


def run_row(manifest: RunManifest) -> tuple[Any, ...]:
    """Parameters of INSERT_RUN."""
    m = manifest
    return (m.run_id, m.kind, m.status, m.created_at, utc_now(), m.model_dump_json())


def update_run_row(manifest: RunManifest) -> tuple[Any, ...]:
    """Parameters of UPDATE_RUN."""
    m = manifest
    return (m.kind, m.status, utc_now(), m.model_dump_json(), m.run_id)


def names_scan(conn: sqlite3.Connection, run_id: str, array: str) -> list[str]:
    """:func:`names_query` without SQLite's JSON functions: first-seen order, item by item."""
    names: dict[str, None] = {}
    for (text,) in conn.execute(
        "SELECT result_json FROM items WHERE run_id = ? AND result_json IS NOT NULL ORDER BY seq",
        (run_id,),
    ):
        for entry in json.loads(text).get(array) or []:
            names.setdefault(str(entry.get("name")), None)
    return list(names)


def summarize(exc: ValidationError) -> str:
    """The first few messages of a validation error, on one line."""
    return "; ".join(str(error["msg"]) for error in exc.errors()[:3])


def parse_manifest(text: str, run_id: str) -> RunManifest:
    try:
        return RunManifest.model_validate_json(text)
    except ValidationError as exc:
        raise StoreError(
            f"the stored manifest of run {run_id!r} cannot be read: {summarize(exc)}; "
            "upgrade tutorloop if a newer version wrote this store"
        ) from exc


def parse_record(text: str) -> Session | ReplayArtifact | None:
    """A kept session or replay record (None: one this tutorloop cannot read)."""
    try:
        data = json.loads(text)
        if isinstance(data, dict) and "regenerated_trajectory" in data:
            return ReplayArtifact.model_validate(data)
        return Session.model_validate(data)
    except (ValueError, ValidationError):
        return None


def parse_grade(row: tuple[str, str]) -> Grade:
    try:
        return Grade.model_validate_json(row[1])
    except ValidationError as exc:
        raise StoreError(
            f"a stored grade of item {row[0]!r} cannot be read: {summarize(exc)}; "
            "upgrade tutorloop if a newer version wrote this store"
        ) from exc


def insert_outcomes(
    conn: sqlite3.Connection, run_id: str, outcomes: Sequence[ItemOutcome]
) -> int | None:
    """Insert items with their grades (inside the caller's transaction); return how many are new.

    Items whose key is already stored for the run are skipped with their grades. None when the
    run does not exist (nothing is written).
    """
    if conn.execute("SELECT 1 FROM runs WHERE run_id = ?", (run_id,)).fetchone() is None:
        return None
    now = utc_now()
    (seq,) = conn.execute(
        "SELECT COALESCE(MAX(seq), 0) FROM items WHERE run_id = ?", (run_id,)
    ).fetchone()
    inserted = 0
    for outcome in outcomes:
        grades = grade_rows(run_id, outcome)
        cursor = conn.execute(INSERT_ITEM, item_row(run_id, outcome, seq + 1, now))
        if cursor.rowcount != 1:
            continue  # already stored: its grades are too
        seq += 1
        inserted += 1
        conn.executemany(INSERT_GRADE, grades)
        insert_judge_checks(conn, judge_check_rows(run_id, outcome))
        if outcome.record is not None:
            conn.execute(INSERT_RECORD, (run_id, outcome.item_key, outcome.record.model_dump_json(),
                                         run_id, outcome.item_key))  # fmt: skip
    return inserted


def item_row(run_id: str, outcome: ItemOutcome, seq: int, now: str) -> tuple[Any, ...]:
    result, error = outcome.result, outcome.error
    condition = outcome.condition if outcome.condition is not None else _get(result, "condition")
    domain = outcome.domain if outcome.domain is not None else _get(result, "domain")
    return (
        run_id,
        outcome.item_key,
        outcome.session_id,
        condition,
        domain,
        outcome.source,
        outcome.status,
        None if result is None else result.pedagogical_fidelity_score,
        None if result is None else int(result.escalate),
        None if result is None else result.severity,
        None if result is None else result.model_dump_json(),
        None if error is None else error.type,
        None if error is None else error.message,
        seq,
        now,
    )


def _get(obj: Any, name: str) -> Any:
    return None if obj is None else getattr(obj, name)


def grade_rows(run_id: str, outcome: ItemOutcome) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    seen: set[str] = set()
    for grade in outcome.grades:
        if grade.run_id != run_id or grade.item_key != outcome.item_key:
            raise StoreError(
                f"grade by {grade.grader!r} is for run {grade.run_id!r} item "
                f"{grade.item_key!r} but was written with run {run_id!r} item "
                f"{outcome.item_key!r}; build each Grade with its own item's keys"
            )
        if grade.grader in seen:
            raise StoreError(
                f"item {outcome.item_key!r} has two grades from {grade.grader!r}; "
                "give each grader a unique name"
            )
        seen.add(grade.grader)
        rows.append(
            (
                run_id,
                outcome.item_key,
                grade.grader,
                grade.grader_version,
                None if grade.passed is None else int(grade.passed),
                grade.verdict,
                grade.score,
                grade.confidence,
                grade.source,
                grade.model_dump_json(),
            )
        )
    return rows
