"""The watcher: each session graded once into its bucket's run, sampled, resumed; bad input once."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.run.watch_data import T0, line, session
from tutorloop.errors import ConfigError, Problem, UserError
from tutorloop.present.review.queue import QueueQuery, build_queue
from tutorloop.run import (
    SamplingPolicy,
    WatchConfig,
    bucket_run_id,
    load_watch_config,
    sample_reason,
    watch_folder,
)
from tutorloop.store import Store, WatchRow


def write(folder: Path, name: str, records: list[dict[str, object]], tail: str = "") -> None:
    folder.mkdir(exist_ok=True)
    with (folder / name).open("a", encoding="utf-8") as out:
        out.write("".join(line(r) for r in records) + tail)


def test_sessions_are_graded_once_into_time_buckets(tmp_path: Path) -> None:
    folder, db = tmp_path / "in", tmp_path / "s.db"
    write(folder, "a.jsonl", [session(f"s{i}", T0 + i * 60) for i in range(150)])
    config = WatchConfig(bucket=3600)
    first = watch_folder(folder, config, store_path=db, once=True)
    assert first.graded == 150
    assert first.runs == {
        bucket_run_id(T0, 3600),
        bucket_run_id(T0 + 3600, 3600),
        bucket_run_id(T0 + 7200, 3600),
    }
    write(folder, "a.jsonl", [session("s1", T0), session("s150", T0)])
    write(folder, "b.jsonl", [session("s2", T0)])
    second = watch_folder(folder, config, store_path=db, once=True)
    assert (second.graded, second.duplicates) == (1, 2)
    with Store.open(db) as store:
        assert store.watch.count() == 151
        total = sum(store.count_items(r).items for r in first.runs)
        assert total == 151
        assert {m.kind for m in store.list_runs()} == {"watch"}


def test_a_malformed_line_is_reported_once_across_runs(tmp_path: Path) -> None:
    folder, db = tmp_path / "in", tmp_path / "s.db"
    write(folder, "a.jsonl", [session("s1", T0)], tail='{"session_id": "x"}\n')
    seen: list[Problem] = []
    report = watch_folder(folder, None, store_path=db, once=True, on_problem=seen.append)
    assert report.graded == 1
    assert [(p.line, p.field) for p in seen] == [(2, "domain"), (2, "trajectory")]
    write(folder, "a.jsonl", [session("s2", T0)])
    again = watch_folder(folder, None, store_path=db, once=True, on_problem=seen.append)
    assert again.graded == 1 and len(seen) == 2


def test_sampling_reasons() -> None:
    policy = SamplingPolicy(passing_share=0.0, new_version_first=2, seed=1)
    row = WatchRow("k", "r", 0.0, 0.0, model="m", escalate=False)
    assert sample_reason(policy, row, None, 0, 0) == "new_model"
    assert sample_reason(policy, row, None, 5, 5) is None
    escalated = WatchRow("k", "r", 0.0, 0.0, escalate=True)
    assert sample_reason(policy, escalated, None, 9, 9) == "escalated"
    audit = SamplingPolicy(audit_share=1.0, new_version_first=0)
    assert sample_reason(audit, row, None, 9, 9) == "audit"


def test_the_sampling_policy_fills_the_review_queue(tmp_path: Path) -> None:
    folder, db = tmp_path / "in", tmp_path / "s.db"
    records = [session(f"g{i}", T0 + i) for i in range(300)]
    records += [session(f"e{i}", T0 + 400 + i, early=True, model="tutor-b") for i in range(5)]
    write(folder, "a.jsonl", records)
    config = WatchConfig(sampling=SamplingPolicy(passing_share=0.1, new_version_first=3))
    watch_folder(folder, config, store_path=db, once=True)
    with Store.open(db) as store:
        reasons = [s.reason for s in store.review_samples()]
    assert reasons.count("new_model") == 3  # tutor-a's first three (tutor-b's escalate)
    assert reasons.count("escalated") == 5
    assert 10 < reasons.count("random") < 60
    again = watch_folder(folder, config, store_path=tmp_path / "t.db", once=True)
    assert again.sampled == len(reasons)  # seeded: the same sessions again


def test_sampled_sessions_are_in_the_review_queue_with_their_turns(tmp_path: Path) -> None:
    folder, db = tmp_path / "in", tmp_path / "s.db"
    write(folder, "a.jsonl", [session(f"g{i}", T0 + i) for i in range(200)])
    config = WatchConfig(sampling=SamplingPolicy(passing_share=0.2, new_version_first=0))
    watch_folder(folder, config, store_path=db, once=True)
    with Store.open(db) as store:
        samples = {(s.run_id, s.item_key): s.reason for s in store.review_samples()}
        run_ids = {run_id for run_id, _ in samples}
        queued = {
            (row.run_id, row.item_key): row
            for run_id in run_ids
            for page in (1, 2, 3)
            for row in build_queue(store, QueueQuery(run_id=run_id, per_page=200, page=page)).rows
        }
        keys = [key for _, key in queued]
        kept = {(r, k) for r in run_ids for k in store.item_records(r, keys)}
    assert samples and set(samples) <= set(queued), "every sampled session waits for a reviewer"
    assert {queued[k].cause for k in samples} == {"sampled_random"}
    assert set(samples) <= kept, "its turns are kept for the session page"


def test_the_watch_section_of_a_yaml_file(tmp_path: Path) -> None:
    path = tmp_path / "tutorloop.yaml"
    path.write_text(
        "project: x\nwatch:\n  bucket: 1h\n  drift: {window: 15m}\n"
        "  alerts: [{name: early, metric: 'check:no_direct_answer_initially'}]\n"
    )
    config = load_watch_config(path)
    assert (config.bucket, config.drift.window) == (3600, 900)
    path.write_text("watch:\n  alerts: [{name: early, metric: nope}]\n")
    with pytest.raises(ConfigError) as raised:
        load_watch_config(path)
    assert "unknown metric" in str(raised.value) and "watch.alerts.0" in str(raised.value)


def test_a_folder_that_does_not_exist_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="not a folder"):
        watch_folder(tmp_path / "missing", None, store_path=tmp_path / "s.db", once=True)
