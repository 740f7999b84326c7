"""What every reader of the store returns for a graded corpus, pinned from the store's old format.

The corpus is the bundled sessions plus a few hundred generated ones, graded by ``grade_paths``
into one run, and a second run written directly with testing-criteria grades, a learned
grade and an errored item. :func:`readers` collects what the store's readers give back (items
and results, grades, counts, names, single items, labels' grader versions, the summary and the
JSONL and CSV exports), with times replaced by a placeholder.

``readers.json.gz`` pins those answers and ``rows.json.gz`` the raw rows (``runs``, ``items``,
``grades``) of a store written before the grade rows stopped repeating their checks' JSON, so
a store in that format is tested too. Regenerate both only with the store's old writer::

    python -m tests.store.golden.corpus
"""

from __future__ import annotations

import gzip
import json
import re
import sqlite3
from pathlib import Path
from typing import Any

from tests.grade.golden.corpus import _bundled_turns, _long, _mixed
from tutorloop.analyse import summarize
from tutorloop.bundled import bundled_sessions, synthetic_session
from tutorloop.records import (
    EvalCheck,
    EvalResult,
    Grade,
    GraderError,
    GraderResult,
    LabelInput,
    RunManifest,
)
from tutorloop.run import RunConfig, grade_paths
from tutorloop.store import ItemOutcome, Store, export_run

HERE = Path(__file__).parent
READERS = HERE / "readers.json.gz"
ROWS = HERE / "rows.json.gz"
RUN = "golden"
EXTRA = "golden-extra"
TABLES = ("runs", "items", "grades")
_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)?")


def write_sessions(path: Path) -> Path:
    """The generated part of the corpus: short, long and mixed sessions."""
    tutor, learner = _bundled_turns()
    with path.open("w", encoding="utf-8") as handle:
        for i in range(200):
            handle.write(json.dumps(synthetic_session(i, 3 + i % 22)) + "\n")
        for i in range(50):
            handle.write(json.dumps(_long(synthetic_session(20_000 + i, 16))) + "\n")
        for i in range(100):
            handle.write(json.dumps(_mixed(50_000 + i, tutor, learner)) + "\n")
    return path


def _extra_outcomes() -> list[ItemOutcome]:
    outcomes = []
    for i in range(3):
        key = f"extra-{i}"
        criteria = GraderResult(
            name="exact", type="string_check", passed=i != 1, score=float(i != 1), version="v1"
        )
        learned = GraderResult(
            name="warmth", type="learned", dimension="warmth", score=0.25 * i, label="ok",
            version="m1",
        )  # fmt: skip
        result = EvalResult(
            session_id=f"s-{key}",
            pedagogical_fidelity_score=0.5,
            escalate=i == 2,
            checks=[
                EvalCheck(name="diagnosis_first", passed=bool(i % 2), reason="r", confidence=0.7),
                EvalCheck(name="one_question", passed=True, grader_version="own"),
            ],
            graders=[criteria, learned],
        )
        grades = [
            Grade(run_id=EXTRA, item_key=key, grader="criteria.exact", grader_version="v1",
                  score=criteria.score, passed=criteria.passed, source="criteria"),
            Grade(run_id=EXTRA, item_key=key, grader="learned.warmth", grader_version="m1",
                  score=learned.score, label="ok", source="learned"),
        ]  # fmt: skip
        outcomes.append(ItemOutcome(key, f"s-{key}", "human", "math", "x.jsonl", result, grades))
    error = GraderError(type="ValueError", message="broken")
    outcomes.append(ItemOutcome("extra-error", "s-error", None, None, "x.jsonl", None, [], error))
    return outcomes


def build(tmp: Path) -> Path:
    """Grade the corpus into a new store under ``tmp``; return its path."""
    path = tmp / "golden.db"
    sessions = write_sessions(tmp / "sessions.jsonl")
    grade_paths([bundled_sessions(), sessions], options=RunConfig(store_path=path, run_id=RUN))
    with Store.open(path) as store:
        store.start_run(RunManifest(run_id=EXTRA, created_at="2025-01-01T00:00:00+00:00",
                                    package_version="0.1.0"))  # fmt: skip
        store.write_outcomes(EXTRA, _extra_outcomes())
    return path


def _dump(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    return value


def readers(path: Path, tmp: Path) -> dict[str, Any]:
    """What the store's readers return for both runs, times replaced by ``<time>``."""
    out: dict[str, Any] = {}
    with Store.open(path) as store:
        for run_id in (RUN, EXTRA):
            items = list(store.iter_items(run_id))
            keys = [item.item_key for item in items]
            picked = keys[:3] + keys[-3:]
            out[run_id] = {
                "items": [
                    {
                        "item_key": item.item_key,
                        "session_id": item.session_id,
                        "condition": item.condition,
                        "domain": item.domain,
                        "source": Path(item.source or "").name,
                        "status": item.status,
                        "result": _dump(item.result),
                        "error": _dump(item.error),
                        "seq": item.seq,
                    }
                    for item in items
                ],
                "escalated": [i.item_key for i in store.iter_items(run_id, escalated_only=True)],
                "grades": [_dump(grade) for grade in store.iter_grades(run_id, batch_size=7)],
                "get_item": [_dump(store.get_item(run_id, key).result) for key in picked],  # type: ignore[union-attr]
                "counts": _dump(store.count_items(run_id)),
                "check_names": store.check_names(run_id),
                "grader_names": store.grader_names(run_id),
                "judge_counts": [str(c) for c in store.judge_counts(run_id)],
                "summary": _dump(summarize(run_id, store.iter_results(run_id))),
                "labels": _labels(store, run_id, picked[:2]),
                "exports": _exports(store, run_id, tmp / f"export-{run_id}"),
            }
    text = json.dumps(out, sort_keys=True, ensure_ascii=False)
    text = text.replace(str(tmp), "<tmp>")
    return dict(json.loads(_TIME.sub("<time>", text)))


def _labels(store: Store, run_id: str, keys: list[str]) -> list[dict[str, str]]:
    """The grader versions a label records for each of ``keys``."""
    inputs = [
        LabelInput(run_id=run_id, item_key=key, dimension="overall", value="pass") for key in keys
    ]
    return [label.grader_versions for label in store.labels.add(inputs, rater="g", actor="g")]


def _exports(store: Store, run_id: str, out_dir: Path) -> dict[str, str]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = export_run(store, run_id, out_dir, ["jsonl", "csv"], batch_size=50)
    return {fmt: p.read_text(encoding="utf-8") for fmt, p in sorted(paths.items())}


def raw_rows(path: Path) -> dict[str, Any]:
    """Every row of the tables the old format wrote, as lists of values."""
    conn = sqlite3.connect(path)
    try:
        return {
            table: [list(row) for row in conn.execute(f"SELECT * FROM {table} ORDER BY rowid")]
            for table in TABLES
        }
    finally:
        conn.close()


def main() -> None:
    """Write both fixtures from the current store."""
    import tempfile

    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        path = build(tmp)
        rows = raw_rows(path)
        answers = readers(path, tmp)
    for target, data in ((ROWS, rows), (READERS, answers)):
        with gzip.open(target, "wt", encoding="utf-8") as handle:
            json.dump(data, handle, sort_keys=True, ensure_ascii=False)


if __name__ == "__main__":
    main()
