from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

from tutorloop.errors import ConfigError, StoreError
from tutorloop.records import EvalResult, GraderError, GraderResult, RunManifest
from tutorloop.store import EXPORT_FORMATS, ItemOutcome, Store, export_run, write_manifest
from tutorloop.store import export as export_module
from tutorloop.store._rows import names_scan

MakeOutcome = Callable[..., ItemOutcome]


@pytest.fixture
def filled(
    store: Store, make_manifest: Callable[..., RunManifest], make_outcome: MakeOutcome
) -> list[ItemOutcome]:
    store.start_run(make_manifest())
    outcomes = [
        make_outcome("a", fidelity=0.9),
        make_outcome(
            "b",
            fidelity=0.2,
            escalate=True,
            failures=["answered_too_early", "no_check"],
            reasons=["low_fidelity", "severe_failure"],
        ),
        make_outcome("c", with_result=False, error=("TimeoutError", "judge timed out\nretry")),
        make_outcome("d", checks=[("one_question", False)]),
        # a check name that first appears late, after the first batch
        make_outcome("e", checks=[("diagnosis_first", True), ("safety", False)]),
    ]
    store.write_outcomes("run-1", outcomes[:2])
    store.write_outcomes("run-1", outcomes[2:])
    return outcomes


def test_export_round_trip(tmp_path: Path, store: Store, filled: list[ItemOutcome]) -> None:
    out = tmp_path / "out" / "run-1"
    paths = export_run(store, "run-1", out, batch_size=2)
    assert paths == {fmt: out / f"results.{fmt}" for fmt in EXPORT_FORMATS}
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in paths.values())
    keys = [o.item_key for o in filled]
    checks = ["check.diagnosis_first", "check.one_question", "check.safety"]

    # parquet
    table = pq.read_table(paths["parquet"])
    assert table.num_rows == 5
    assert table.column_names[:13] == [
        "run_id",
        "item_key",
        "session_id",
        "condition",
        "domain",
        "status",
        "fidelity",
        "escalate",
        "severity",
        "failures",
        "escalation_reasons",
        "error_type",
        "error_message",
    ]
    assert table.column_names[13:] == checks
    assert table.schema.field("failures").type == pa.list_(pa.string())
    rows = table.to_pylist()
    assert [r["item_key"] for r in rows] == keys
    assert {r["run_id"] for r in rows} == {"run-1"}
    assert rows[0]["fidelity"] == pytest.approx(0.9)
    assert rows[1]["escalate"] is True
    assert rows[1]["severity"] == "high"
    assert rows[1]["failures"] == ["answered_too_early", "no_check"]
    assert rows[1]["escalation_reasons"] == ["low_fidelity", "severe_failure"]
    assert rows[0]["failures"] == []
    assert rows[2]["status"] == "error"
    assert rows[2]["fidelity"] is None
    assert rows[2]["error_type"] == "TimeoutError"
    assert [r["check.diagnosis_first"] for r in rows] == ["fail", "fail", None, None, "pass"]
    assert [r["check.one_question"] for r in rows] == ["pass", "pass", None, "fail", None]
    assert [r["check.safety"] for r in rows] == [None, None, None, None, "fail"]

    # csv
    nulls = pa_csv.ConvertOptions(strings_can_be_null=True, quoted_strings_can_be_null=False)
    csv_rows = pa_csv.read_csv(paths["csv"], convert_options=nulls).to_pylist()
    assert [r["item_key"] for r in csv_rows] == keys
    assert csv_rows[1]["failures"] == "answered_too_early;no_check"
    assert csv_rows[1]["escalation_reasons"] == "low_fidelity;severe_failure"
    assert csv_rows[0]["failures"] == ""
    assert csv_rows[2]["failures"] is None
    assert csv_rows[2]["error_message"] == "judge timed out\nretry"
    assert csv_rows[1]["escalate"] is True
    assert csv_rows[0]["fidelity"] == pytest.approx(0.9)
    assert [r["check.safety"] for r in csv_rows] == [None, None, None, None, "fail"]
    header = paths["csv"].read_text().splitlines()[0]
    assert all(f'"{name}"' in header for name in checks)

    # jsonl
    lines = paths["jsonl"].read_text(encoding="utf-8").splitlines()
    assert len(lines) == 5
    records = [json.loads(line) for line in lines]
    assert [r["item_key"] for r in records] == keys
    assert records[0]["run_id"] == "run-1"
    assert records[0]["condition"] == "overlay"
    assert records[0]["status"] == "done"
    assert records[0]["error"] is None
    assert EvalResult.model_validate(records[1]["result"]) == filled[1].result
    assert records[2]["result"] is None
    assert records[2]["error"] == {"type": "TimeoutError", "message": "judge timed out\nretry"}


def test_export_selected_formats(tmp_path: Path, store: Store, filled: list[ItemOutcome]) -> None:
    paths = export_run(store, "run-1", tmp_path, formats=["CSV", "csv"])
    assert list(paths) == ["csv"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("results")] == ["results.csv"]
    assert list(export_run(store, "run-1", tmp_path / "x", formats="jsonl")) == ["jsonl"]


def test_unknown_format_lists_the_valid_ones(tmp_path: Path, store: Store) -> None:
    with pytest.raises(ConfigError) as info:
        export_run(store, "run-1", tmp_path, formats=["xlsx"])
    assert "'xlsx'" in info.value.message
    assert "jsonl, parquet, csv" in info.value.message
    with pytest.raises(ConfigError, match="no export format"):
        export_run(store, "run-1", tmp_path, formats=[])


def test_export_unknown_run(tmp_path: Path, store: Store) -> None:
    with pytest.raises(StoreError, match="no run 'ghost'"):
        export_run(store, "ghost", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_export_empty_run(
    tmp_path: Path, store: Store, make_manifest: Callable[..., RunManifest]
) -> None:
    store.start_run(make_manifest("empty"))
    paths = export_run(store, "empty", tmp_path)
    assert pq.read_table(paths["parquet"]).num_rows == 0
    assert paths["jsonl"].read_text() == ""


def test_failed_export_leaves_old_files_and_no_temp_files(
    tmp_path: Path, store: Store, filled: list[ItemOutcome], monkeypatch: pytest.MonkeyPatch
) -> None:
    export_run(store, "run-1", tmp_path, batch_size=2)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    calls = []
    real = export_module._columns

    def flaky(*args: object) -> object:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("boom")
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(export_module, "_columns", flaky)
    with pytest.raises(RuntimeError, match="boom"):
        export_run(store, "run-1", tmp_path, batch_size=2)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_check_names_fallback_matches_sql(store: Store, filled: list[ItemOutcome]) -> None:
    expected = ["diagnosis_first", "one_question", "safety"]
    assert store.check_names("run-1") == expected
    assert names_scan(store._conn, "run-1", "checks") == expected


def test_write_manifest(tmp_path: Path, make_manifest: Callable[..., RunManifest]) -> None:
    manifest = make_manifest()
    path = write_manifest(manifest, tmp_path / "out")
    assert path == tmp_path / "out" / "manifest.json"
    assert RunManifest.model_validate_json(path.read_text()) == manifest


def test_parquet_row_groups_are_buffered(
    tmp_path: Path, store: Store, filled: list[ItemOutcome], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export_module, "_ROW_GROUP_ROWS", 3)
    paths = export_run(store, "run-1", tmp_path, formats=["parquet"], batch_size=2)
    metadata = pq.ParquetFile(paths["parquet"]).metadata
    assert (metadata.num_rows, metadata.num_row_groups) == (5, 2)


def test_flat_exports_have_a_verdict_and_a_score_column_per_grader(
    tmp_path: Path,
    store: Store,
    make_manifest: Callable[..., RunManifest],
    make_outcome: MakeOutcome,
) -> None:
    store.start_run(make_manifest())
    first, second = make_outcome("a"), make_outcome("b")
    assert first.result is not None and second.result is not None
    first.result.graders = [
        GraderResult(name="tone", type="label_model", passed=True, score=1.0, label="warm"),
        GraderResult(name="Actionability", type="learned", label="No", score=0.25),
    ]
    second.result.graders = [
        GraderResult(
            name="tone", type="label_model", error=GraderError(type="Timeout", message="slow")
        )
    ]
    store.write_outcomes("run-1", [first, second])
    assert store.grader_names("run-1") == ["tone", "Actionability"]
    assert names_scan(store._conn, "run-1", "graders") == ["tone", "Actionability"]
    export_run(store, "run-1", tmp_path, ["parquet", "csv"])
    for table in (pq.read_table(tmp_path / "results.parquet"),
                  pa_csv.read_csv(tmp_path / "results.csv")):  # fmt: skip
        rows = table.to_pylist()
        assert [r["grader.tone"] for r in rows] == ["pass", "error"]
        assert [r["grader.tone.score"] for r in rows] == [1.0, None]
        assert [r["grader.Actionability"] or None for r in rows] == ["No", None]  # CSV: ""
        assert [r["grader.Actionability.score"] for r in rows] == [0.25, None]
