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
from tutorloop.store.outcome import EncodedOutcome, ItemOutcome

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
CHECK_GRADER = "study_mode."
"""Prefix of the grader name of a result's check."""
IN_RESULT = ""
"""``grade_json`` of a check's grade row: the check itself is in the item's ``result_json``."""
GRADE_ROWS = (
    "SELECT g.item_key, g.grade_json, g.grader, g.grader_version, g.passed, g.verdict, g.score, "
    "g.confidence, g.source, CASE WHEN g.grade_json = '' THEN i.result_json END "
    "FROM items AS i CROSS JOIN grades AS g ON g.run_id = i.run_id AND g.item_key = i.item_key "
    # CROSS JOIN keeps items (by seq) as the outer loop: no sort of the whole run
    "WHERE i.run_id = ? ORDER BY i.seq, g.grader"
)
"""A run's grade rows in item order, with the item's result where a row is one of its checks."""


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


class GradeParser:
    """Turns :data:`GRADE_ROWS` rows into grades, in order, for one run.

    A row with its own JSON is that grade. A check's row (``grade_json`` empty) is rebuilt from
    its columns and the check in the item's result, parsed once per item.
    """

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        self._key: str | None = None
        self._checks: dict[str, dict[str, Any]] = {}

    def __call__(self, row: tuple[Any, ...]) -> Grade:
        """The grade of one row."""
        key, text = row[0], row[1]
        try:
            if text != IN_RESULT:
                return Grade.model_validate_json(text)
            return Grade.model_validate(self._check_grade(row))
        except (ValidationError, ValueError, KeyError) as exc:
            why = summarize(exc) if isinstance(exc, ValidationError) else repr(exc)
            raise StoreError(
                f"a stored grade of item {key!r} cannot be read: {why}; "
                "upgrade tutorloop if a newer version wrote this store"
            ) from exc

    def _check_grade(self, row: tuple[Any, ...]) -> dict[str, Any]:
        key, _, grader, version, passed, verdict, score, confidence, source, result = row
        if key != self._key:
            if result is None:
                raise ValueError("the grade's item has no stored result")
            checks = json.loads(result).get("checks") or []
            self._checks = {CHECK_GRADER + str(c.get("name")): c for c in checks}
            self._key = key
        check = self._checks[grader]
        return {
            "run_id": self.run_id,
            "item_key": key,
            "grader": grader,
            "grader_version": version,
            "score": score,
            "passed": None if passed is None else bool(passed),
            "verdict": verdict,
            "reason": check.get("reason"),
            "evidence": check.get("evidence") or [],
            "confidence": confidence,
            "source": source,
        }


def encode_outcome(run_id: str, outcome: ItemOutcome) -> EncodedOutcome:
    """The rows the store writes for ``outcome`` in run ``run_id``.

    Raises:
        StoreError: a grade is for another run or item, or two grades have the same grader.
    """
    record = outcome.record
    return EncodedOutcome(
        run_id=run_id,
        item_key=outcome.item_key,
        source=outcome.source,
        status=outcome.status,
        item=item_row(run_id, outcome),
        grades=grade_rows(run_id, outcome),
        judge_checks=judge_check_rows(run_id, outcome),
        record_json=None if record is None else record.model_dump_json(),
    )


def insert_outcomes(
    conn: sqlite3.Connection, run_id: str, outcomes: Sequence[ItemOutcome | EncodedOutcome]
) -> int | None:
    """Insert items with their grades (inside the caller's transaction); return how many are new.

    Items whose key is already stored for the run (or comes twice) are skipped with their
    grades. None when the run does not exist (nothing is written).

    Raises:
        StoreError: an outcome was encoded for another run, or see :func:`encode_outcome`.
    """
    if conn.execute("SELECT 1 FROM runs WHERE run_id = ?", (run_id,)).fetchone() is None:
        return None
    encoded = [o if isinstance(o, EncodedOutcome) else encode_outcome(run_id, o) for o in outcomes]
    for one in encoded:
        if one.run_id != run_id:
            raise StoreError(
                f"item {one.item_key!r} was encoded for run {one.run_id!r} but written to run "
                f"{run_id!r}; encode each outcome with the run it is written to"
            )
    now = utc_now()
    (seq,) = conn.execute(
        "SELECT COALESCE(MAX(seq), 0) FROM items WHERE run_id = ?", (run_id,)
    ).fetchone()
    stored = stored_keys(conn, run_id, [one.item_key for one in encoded])
    items: list[tuple[Any, ...]] = []
    grades: list[tuple[Any, ...]] = []
    judged: list[tuple[Any, ...]] = []
    records: list[tuple[Any, ...]] = []
    for one in encoded:
        key = one.item_key
        if key in stored:
            continue  # already stored: its grades are too
        stored.add(key)
        seq += 1
        items.append((*one.item, seq, now))
        grades.extend(one.grades)
        judged.extend(one.judge_checks)
        if one.record_json is not None:
            records.append((run_id, key, one.record_json, run_id, key))
    conn.executemany(INSERT_ITEM, items)
    conn.executemany(INSERT_GRADE, grades)
    insert_judge_checks(conn, judged)
    conn.executemany(INSERT_RECORD, records)
    return len(items)


def stored_keys(conn: sqlite3.Connection, run_id: str, keys: Sequence[str]) -> set[str]:
    """Which of ``keys`` are stored for the run."""
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        marks = ",".join("?" * len(chunk))
        rows = conn.execute(
            f"SELECT item_key FROM items WHERE run_id = ? AND item_key IN ({marks})",
            (run_id, *chunk),
        )
        found.update(row[0] for row in rows)
    return found


def item_row(run_id: str, outcome: ItemOutcome) -> tuple[Any, ...]:
    """Parameters of INSERT_ITEM for one item, less its ``seq`` and ``graded_at``."""
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
    )


def _get(obj: Any, name: str) -> Any:
    return None if obj is None else getattr(obj, name)


def grade_rows(run_id: str, outcome: ItemOutcome) -> list[tuple[Any, ...]]:
    """Parameters of INSERT_GRADE for one item: its checks' rows, then its other grades'.

    Its checks have rows only with :attr:`ItemOutcome.check_version` set.

    Raises:
        StoreError: a grade is for another run or item, or two grades have the same grader.
    """
    rows: list[tuple[Any, ...]] = []
    seen: set[str] = set()
    version, result, key = outcome.check_version, outcome.result, outcome.item_key
    if version is not None and result is not None:
        for check in result.checks:
            grader = CHECK_GRADER + check.name
            if grader in seen:
                raise _twice(key, grader)
            seen.add(grader)
            passed = check.passed
            rows.append((run_id, key, grader, check.grader_version or version, int(passed),
                         check.verdict, 1.0 if passed else 0.0, check.confidence, check.source,
                         IN_RESULT))  # fmt: skip
    for grade in outcome.grades:
        if grade.run_id != run_id or grade.item_key != outcome.item_key:
            raise StoreError(
                f"grade by {grade.grader!r} is for run {grade.run_id!r} item "
                f"{grade.item_key!r} but was written with run {run_id!r} item "
                f"{outcome.item_key!r}; build each Grade with its own item's keys"
            )
        if grade.grader in seen:
            raise _twice(key, grade.grader)
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


def _twice(item_key: str, grader: str) -> StoreError:
    return StoreError(
        f"item {item_key!r} has two grades from {grader!r}; give each grader a unique name"
    )
