"""The watch tables: a session stored once across runs and processes; files, queue, alerts."""

from __future__ import annotations

from pathlib import Path

from tutorloop.records import GraderError, RunManifest
from tutorloop.store import FileOffset, ItemOutcome, Store, Watched, WatchRow


def watched(key: str, run_id: str, reason: str | None = None) -> Watched:
    outcome = ItemOutcome(
        key, key, None, "math", "test", None, [], GraderError(type="X", message="m")
    )
    row = WatchRow(key, run_id, 1.0, 1.0, errored=True, checks={"a": True})
    return Watched(outcome, row, reason)


def start(store: Store, run_id: str) -> None:
    store.start_run(RunManifest(run_id=run_id, kind="watch", created_at="t", package_version="0"))


def test_a_session_is_stored_once_across_runs_and_stores(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    with Store.open(db) as one, Store.open(db) as two:
        start(one, "watch-1")
        start(one, "watch-2")
        first = one.watch.write(
            [watched("s1", "watch-1", "escalated")], [FileOffset("f", 10, 1, 10, 0.0)]
        )
        again = two.watch.write([watched("s1", "watch-2"), watched("s2", "watch-2")])
        assert [w.row.item_key for w in first] == ["s1"]
        assert [w.row.item_key for w in again] == ["s2"]
        assert one.count_items("watch-1").items == 1 and one.count_items("watch-2").items == 1
        assert two.watch.seen(["s1", "s3"]) == {"s1"}
        assert [(s.item_key, s.reason) for s in two.review_samples()] == [("s1", "escalated")]
        assert two.watch.offsets()["f"].offset == 10
        assert [r.checks for r in two.watch.rows()] == [{"a": True}, {"a": True}]


def test_an_episode_opens_once_and_its_delivery_waits(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.db") as store:
        opened = store.watch.open_episode("r", {"rule": "r"}, ["http://x/hook"], now=5.0)
        assert opened is not None
        assert store.watch.open_episode("r", {"rule": "r"}, ["http://x/hook"], now=6.0) is None
        assert [d.url for d in store.watch.claim_due(now=10.0, lease=30)] == ["http://x/hook"]
        assert store.watch.claim_due(now=11.0, lease=30) == []  # claimed by the first
        assert store.watch.close_episode("r") and not store.watch.close_episode("r")
        assert store.watch.open_episode("r", {"rule": "r"}, [], now=7.0) is not None
        assert len(store.watch.episodes()) == 2
