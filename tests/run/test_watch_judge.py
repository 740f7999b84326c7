"""The watcher with a judge: the audit share is judged even where the heuristics are sure."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.run.watch_data import line
from tutorloop.bundled import bundled_sessions
from tutorloop.run import WatchConfig, watch_folder
from tutorloop.store import Store


def judged_calls(db: Path) -> int:
    ledger = db.parent / "calls.db"
    if not ledger.exists():
        return 0
    with sqlite3.connect(ledger) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM responses").fetchone()[0])


def watch(tmp_path: Path, share: float) -> tuple[set[str], int]:
    folder, db = tmp_path / f"in-{share}", tmp_path / f"s-{share}" / "s.db"
    folder.mkdir()
    records = [json.loads(path.read_text()) for path in sorted(bundled_sessions().glob("*.json"))]
    (folder / "a.jsonl").write_text("".join(line(record) for record in records))
    config = WatchConfig.model_validate(
        {
            "models": {"judge_model": "sim/study"},
            "calls": {"cache": False, "max_retries": 0},
            "sampling": {"audit_share": share, "passing_share": 0, "new_version_first": 0},
        }
    )
    report = watch_folder(folder, config, store_path=db, once=True)
    assert report.graded == len(records) > 0
    with Store.open(db) as store:
        audited = {s.item_key for s in store.review_samples() if s.reason == "audit"}
    return audited, judged_calls(db)


def test_the_judge_grades_the_audit_share_and_the_queue_says_so(tmp_path: Path) -> None:
    sessions = len(list(bundled_sessions().glob("*.json")))
    none, unsure = watch(tmp_path, 0.0)
    assert none == set() and 1 <= unsure < sessions  # the judge where a heuristic is unsure
    audited, calls = watch(tmp_path, 0.5)
    # and on the audit share, whose sessions are queued for review as "audit" (unless escalated)
    assert 1 <= len(audited) <= calls - unsure <= sessions - unsure
