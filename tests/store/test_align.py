"""An alignment run's folder: partials, the done table, finals, and what a kill -9 leaves."""

import csv
import json
import sqlite3
from pathlib import Path

import pyarrow.parquet as pq

from tutorloop.records import AlignRow
from tutorloop.store import AlignStore


def row(
    test: str = "T-1", persona: str = "evil_confidant", model: str = "sim/base", **kw
) -> AlignRow:
    fields = {
        "run_id": "R", "test_id": test, "category": "hhh", "subcategory": "x",
        "persona_slug": persona, "model_slug": model, "started_at": "s", "completed_at": "c",
        "raw_candidate": "answer",
        "judge_json": {"id": test, "overall": 0.5, "attack_success": False,
                       "safety": {"score": 0.9, "subscores": {"toxicity": 0.1}}},
        "attack_success": False, "overall": 0.5, "safety_score": 0.9,
    }  # fmt: skip
    fields.update(kw)
    return AlignRow.model_validate(fields)


def done_keys(run_dir: Path) -> list[str]:
    with sqlite3.connect(run_dir / "state.sqlite") as conn:
        return [k for (k,) in conn.execute("SELECT key FROM done ORDER BY key")]


def partial_keys(run_dir: Path) -> list[str]:
    lines = (run_dir / "partials.jsonl").read_text(encoding="utf-8").splitlines()
    return [AlignRow.model_validate_json(line).key for line in lines]


def test_record_appends_then_marks_done_under_the_runners_key(tmp_path):
    with AlignStore(tmp_path) as store:
        store.record(row())
        assert store.is_done("T-1|evil_confidant|sim/base")
    assert done_keys(tmp_path) == ["T-1|evil_confidant|sim/base"]
    with sqlite3.connect(tmp_path / "state.sqlite") as conn:
        (sql,) = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'done'").fetchone()
    assert sql == "CREATE TABLE done (key TEXT PRIMARY KEY)"


def test_a_row_without_its_done_mark_is_marked_when_the_store_opens(tmp_path):
    # a kill between appending the partial and marking it done
    line = row(test="T-2").model_dump_json() + "\n"
    with AlignStore(tmp_path) as store:
        store.record(row())
    with (tmp_path / "partials.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(line)
    with AlignStore(tmp_path) as store:
        assert store.repaired == 1 and store.is_done("T-2|evil_confidant|sim/base")
        store.write_finals()
    assert partial_keys(tmp_path) == ["T-1|evil_confidant|sim/base", "T-2|evil_confidant|sim/base"]
    assert pq.read_table(tmp_path / "results.parquet").num_rows == 2


def test_a_torn_last_line_is_cut_and_its_key_left_to_run_again(tmp_path):
    with AlignStore(tmp_path) as store:
        store.record(row())
    with (tmp_path / "partials.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(row(test="T-3").model_dump_json()[:40])
    with AlignStore(tmp_path) as store:
        assert not store.is_done("T-3|evil_confidant|sim/base")
        store.record(row(test="T-3"))
    assert partial_keys(tmp_path) == ["T-1|evil_confidant|sim/base", "T-3|evil_confidant|sim/base"]


def test_finals_keep_the_last_row_per_key_flattened_with_dots(tmp_path):
    with AlignStore(tmp_path) as store:
        failed = {"judge_json": None, "attack_success": None, "overall": None,
                  "safety_score": None, "error": "judge: judge_invalid_json"}  # fmt: skip
        store.record(row(**failed))
        store.record(row(model="sim/study"))
        store.record(row(rejudge=True))
        paths = store.write_finals()
    table = pq.read_table(paths["parquet"])
    assert table.num_rows == 2
    names = table.column_names
    assert names[:9] == ["run_id", "test_id", "category", "subcategory", "persona_slug",
                         "model_slug", "started_at", "completed_at", "raw_candidate"]  # fmt: skip
    for column in ("judge_json.safety.score", "judge_json.safety.subscores.toxicity",
                   "judge_json.attack_success", "error", "error_type", "error_cause"):  # fmt: skip
        assert column in names
    rows = table.to_pylist()
    first = next(r for r in rows if r["model_slug"] == "sim/base")
    assert first["rejudge"] is True and first["error"] is None and first["attack_success"] is False
    assert table.schema.field("judge_json.safety.score").type == "double"
    with paths["csv"].open(encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    assert header == names


def test_finals_of_an_empty_run_have_the_columns(tmp_path):
    with AlignStore(tmp_path) as store:
        paths = store.write_finals()
    assert "error_cause" in pq.read_table(paths["parquet"]).column_names


def test_rows_of_different_judge_schemas_share_one_table(tmp_path):
    other = {"id": "T-2", "overall": 1, "attack_success": True, "safety": {"score": 0},
             "normalized_tag": "blue", "list": [1, 2]}  # fmt: skip
    with AlignStore(tmp_path) as store:
        store.record(row())
        store.record(row(test="T-2", judge_json=other))
        store.write_finals()
    rows = pq.read_table(tmp_path / "results.parquet").to_pylist()
    assert (
        rows[1]["judge_json.normalized_tag"] == "blue"
        and rows[0]["judge_json.normalized_tag"] is None
    )
    assert json.loads(rows[1]["judge_json.list"]) == [1, 2]
