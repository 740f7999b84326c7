"""The judge's reviews in the store: each judged check beside the heuristics', per version.

One row per (run, item, check) that a judge reviewed, written in the same transaction as the
item (so a resumed run never double-counts), with the heuristics' version, the judge model, why
the judge saw the session (``unsure``, ``audit``, ``all``) and both verdicts. Agreement per
heuristics version and check is an aggregate over these rows.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tutorloop.store.outcome import ItemOutcome

__all__ = ["JudgeCheckCounts", "count_judge_checks", "insert_judge_checks", "judge_check_rows"]

INSERT_JUDGE_CHECK = """
    INSERT OR IGNORE INTO judge_checks (
        run_id, item_key, check_name, heuristic_version, judge_model, because, heuristic, judge,
        decided
    ) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
"""


@dataclass(frozen=True)
class JudgeCheckCounts:
    """How often the heuristics and the judge agreed on one check (one heuristics version)."""

    heuristic_version: str
    judge_model: str
    check: str
    sessions: int
    """Sessions whose check the judge reviewed."""
    audited: int
    """Of those, sessions the audit picked (the heuristics were sure on every check)."""
    compared: int
    """Sessions where both the heuristic and the judge were sure: the agreement's n."""
    agreed: int
    """Of ``compared``, sessions where both gave the same verdict."""
    decided: int
    """Sessions where the heuristic was unsure and the judge's verdict was used."""


def judge_check_rows(run_id: str, outcome: ItemOutcome) -> list[tuple[Any, ...]]:
    """Parameters of INSERT_JUDGE_CHECK for one item (none when no judge reviewed it)."""
    review = outcome.result.judge if outcome.result is not None else None
    if review is None:
        return []
    return [
        (
            run_id,
            outcome.item_key,
            check.name,
            review.heuristic_version,
            review.model,
            review.because,
            check.heuristic,
            check.judge,
            int(check.decided),
        )
        for check in review.checks
    ]


def insert_judge_checks(conn: sqlite3.Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert judged-check rows (inside the caller's transaction)."""
    if rows:
        conn.executemany(INSERT_JUDGE_CHECK, rows)


def count_judge_checks(
    conn: sqlite3.Connection, run_id: str | None = None
) -> list[JudgeCheckCounts]:
    """Agreement counts per (heuristics version, judge model, check), of one run or all."""
    where, params = ("WHERE run_id = ?", (run_id,)) if run_id is not None else ("", ())
    cursor = conn.execute(
        f"""
        SELECT heuristic_version, judge_model, check_name,
               COUNT(*),
               SUM(because = 'audit'),
               SUM(heuristic != 'unsure' AND judge != 'unsure'),
               SUM(heuristic != 'unsure' AND judge != 'unsure' AND heuristic = judge),
               SUM(decided)
        FROM judge_checks {where}
        GROUP BY heuristic_version, judge_model, check_name
        ORDER BY heuristic_version, judge_model, check_name
        """,
        params,
    )
    return [
        JudgeCheckCounts(
            row[0], row[1], row[2], int(row[3]), int(row[4]), int(row[5]), int(row[6]), int(row[7])
        )
        for row in cursor
    ]
