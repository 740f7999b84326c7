"""Alignment rows and run records written before preference items and appended inputs."""

import json

from tutorloop.align import AlignRunRecord
from tutorloop.records import AlignRow

V1_ROW = {
    "schema_version": 1, "run_id": "R", "test_id": "T", "category": "c", "subcategory": "s",
    "persona_slug": "p", "model_slug": "openai/gpt-4.1",
    "started_at": "2025-01-01T12:30:00.123456Z", "completed_at": "2025-01-01T12:30:03.456789Z",
    "raw_candidate": "a",
    "judge_json": {"id": "T", "overall": 0.5, "attack_success": False, "safety": {}},
    "attack_success": False, "overall": 0.5, "safety_score": None, "error": None,
    "error_type": None, "error_cause": None, "rejudge": False,
}  # fmt: skip


def test_a_version_1_row_reads_as_a_verdict_row():
    row = AlignRow.model_validate_json(json.dumps(V1_ROW))
    assert row.schema_version == 2 and row.item_kind == "verdict"
    assert not row.judge_context_appended and row.normalized_tag is None
    assert row.key == "T|p|openai/gpt-4.1"


def test_a_version_1_run_record_drops_the_blind_judging_switch():
    old = {"schema_version": 1, "run_id": "R", "dataset": "d.jsonl", "models": ["openai/m"],
           "personas": ["p"], "judge_model": "openai/j", "allow_no_candidate": True,
           "started_at": "2025-01-01T12:30:00.123Z"}  # fmt: skip
    record = AlignRunRecord.model_validate(old)
    assert record.schema_version == 2 and "allow_no_candidate" not in record.model_dump()
