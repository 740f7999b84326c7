"""Alerts: raised once per episode, delivered signed, kept and retried while the webhook is down."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.run.watch_data import T0, Receiver, line, session
from tutorloop.errors import ConfigError
from tutorloop.run import AlertDesk, WatchConfig, Webhook, watch_folder
from tutorloop.store import Store

SECRET = "alerts-test-secret"


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    monkeypatch.setenv("W22_TEST_SECRET", SECRET)
    found = Receiver(SECRET)
    yield found
    found.close()


def config(url: str, **drift: object) -> WatchConfig:
    return WatchConfig.model_validate(
        {
            "drift": {"window": 100, "min_count": 20, **drift},
            "alerts": [
                {"name": "early", "metric": "check:no_direct_answer_initially", "min_effect": 0.1},
                {
                    "name": "escalations",
                    "metric": "escalation",
                    "kind": "threshold",
                    "threshold": 0.5,
                },
            ],
            "webhook": {"url": url, "secret_env": "W22_TEST_SECRET", "timeout": 5},
        }
    )


def feed(folder: Path, start: int, stop: int, early: bool) -> None:
    folder.mkdir(exist_ok=True)
    with (folder / "a.jsonl").open("a") as out:
        out.writelines(line(session(f"s{i}", T0 + i, early=early)) for i in range(start, stop))


def test_an_episode_is_raised_once_and_delivered_signed(tmp_path: Path, receiver: Receiver) -> None:
    folder, db = tmp_path / "in", tmp_path / "s.db"
    settings = config(receiver.url)
    feed(folder, 0, 300, early=False)
    watch_folder(folder, settings, store_path=db, once=True)
    assert receiver.received == []
    feed(folder, 300, 360, early=True)
    watch_folder(folder, settings, store_path=db, once=True)
    feed(folder, 360, 400, early=True)
    watch_folder(folder, settings, store_path=db, once=True)  # still firing: no new alert
    rules = sorted(json.loads(body)["rule"] for _, body in receiver.received)
    assert rules == ["early", "escalations"]
    assert all(receiver.valid(headers, body) for headers, body in receiver.received)
    with Store.open(db) as store:
        assert len(store.watch.episodes(open_only=True)) == 2
        feed(folder, 400, 700, early=False)
        watch_folder(folder, settings, store_path=db, once=True)
        assert store.watch.episodes(open_only=True) == []  # cleared: the episodes closed
        assert len(store.watch.episodes()) == 2


def test_a_webhook_that_is_down_is_retried_with_backoff_and_the_alert_kept(
    tmp_path: Path, receiver: Receiver
) -> None:
    folder, db = tmp_path / "in", tmp_path / "s.db"
    settings = config(receiver.url)
    receiver.down = True
    feed(folder, 0, 300, early=False)
    feed(folder, 300, 400, early=True)
    watch_folder(folder, settings, store_path=db, once=True)
    with Store.open(db) as store:
        pending = store.watch.pending_deliveries()
        assert len(pending) == 2 and all(d.attempts == 1 for d in pending)
        webhook = Webhook(settings.webhook)  # type: ignore[arg-type]
        first_wait = pending[0].next_at
        assert webhook.deliver_due(store) == 0  # not due yet: backing off
        assert webhook.deliver_due(store, now=first_wait + 0.01) == 0  # still down
        retried = store.watch.pending_deliveries()
        assert all(d.attempts == 2 for d in retried)
        assert retried[0].next_at - first_wait >= 1.5  # the wait doubled
        receiver.down = False
        # a restart: a new desk on the same store sends what is pending
        assert webhook.deliver_due(store, now=retried[0].next_at + 5) == 2
        assert store.watch.pending_deliveries() == []
        AlertDesk(store, settings).tick()
    assert len(receiver.received) == 2


def test_a_missing_secret_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("W22_TEST_SECRET", raising=False)
    with pytest.raises(ConfigError, match="W22_TEST_SECRET"):
        Webhook(config("http://127.0.0.1:9/hook").webhook)  # type: ignore[arg-type]
