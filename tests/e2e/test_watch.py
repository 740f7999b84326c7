"""Production watched end to end: a folder and HTTP, a shift, kill -9, one signed alert.

10,000 sessions are appended over time to files in a folder that ``tutorloop watch`` follows (in
a subprocess), with half-written lines and a malformed one; 1,000 more are posted to a live
``tutorloop serve`` on the same store. Halfway through session time the tutor starts answering
too early (caught by the ``no_direct_answer_initially`` check). The watcher is killed with -9 once
and restarted. Every session is graded exactly once, the drift is detected within one window of
the shift, and exactly one alert reaches the local webhook receiver, correctly signed.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx2 as httpx
import pytest
import yaml

from tests.e2e.serve_process import free_port, start_service
from tests.run.watch_data import T0, Receiver, line, session

pytestmark = pytest.mark.e2e

FOLDER_SESSIONS = 10_000
HTTP_SESSIONS = 1_000
SHIFT = 6_000.0
"""Seconds of session time after T0 when the tutor starts answering too early."""
WINDOW = 600.0
BATCH = 40
SECRET = "watch-webhook-secret-0123456789"
TOKEN = "watch-e2e-token-0123456789abcdef"


def count(db: Path, sql: str) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return int(conn.execute(sql).fetchone()[0])
    except sqlite3.OperationalError:
        return 0


def watcher(tmp_path: Path, env: dict[str, str], log: str) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "tutorloop",
        "watch",
        str(tmp_path / "in"),
        "--config",
        str(tmp_path / "serve.yaml"),
        "--store",
        str(tmp_path / "tutorloop.db"),
    ]
    with (tmp_path / log).open("wb") as out:
        return subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)


def write_folder(folder: Path) -> None:
    """Append the folder's sessions over time: two growing files, some whole files, bad input."""
    files = [folder / "app-a.jsonl", folder / "app-b.jsonl"]
    for i in range(0, FOLDER_SESSIONS, 250):
        target = files[(i // 250) % 2]
        chunk = "".join(line(session(f"f{j}", T0 + j, early=j >= SHIFT)) for j in range(i, i + 250))
        if i == 2_000:  # a malformed line, reported once
            chunk = '{"session_id": "broken", "domain": "math", "trajectory": []}\n' + chunk
        half = len(chunk) - 40
        with target.open("a", encoding="utf-8") as out:  # the last line written in two halves
            out.write(chunk[:half])
            out.flush()
            time.sleep(0.02)
            out.write(chunk[half:])
        time.sleep(0.03)


def post_http(url: str) -> list[dict[str, int]]:
    answers = []
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60) as c:
        for i in range(0, HTTP_SESSIONS, BATCH):  # a batch spans 400 s of session time
            batch = [
                session(f"h{j}", T0 + j * 10 + 0.5, early=j * 10 >= SHIFT, model="tutor-a")
                for j in range(i, i + BATCH)
            ]
            if i % (2 * BATCH) == 0:
                response = c.post("/v1/ingest", json={"sessions": batch})
            else:
                body = "".join(line(s) for s in batch)
                response = c.post(
                    "/v1/ingest", content=body, headers={"Content-Type": "application/x-ndjson"}
                )
            assert response.status_code == 200, response.text
            answers.append(response.json())
            time.sleep(0.05)
        again = c.post("/v1/ingest", json={"sessions": [session("h0", T0 + 0.5)]})
        assert again.json()["duplicate"] == 1 and again.json()["accepted"] == 0
    return answers


def test_watch_folder_and_http_with_a_shift_a_kill_and_one_alert(tmp_path: Path) -> None:
    started = time.monotonic()
    receiver = Receiver(SECRET)
    (tmp_path / "in").mkdir()
    config = {
        "watch": {
            "bucket": "1h",
            "settle": 0.2,
            "poll": 0.1,
            "evaluate_every": 0.5,
            "evaluate_sessions": 100,  # a window holds 600 sessions: detected within one
            "drift": {"window": WINDOW, "baseline": "start", "min_count": 50},
            "sampling": {"passing_share": 0.01, "new_version_first": 5},
            "alerts": [
                {
                    "name": "answered-too-early",
                    "metric": "check:no_direct_answer_initially",
                    "kind": "drift",
                    "min_effect": 0.1,
                }
            ],
            "webhook": {"url": receiver.url, "secret_env": "W22_WEBHOOK_SECRET"},
        }
    }
    (tmp_path / "serve.yaml").write_text(yaml.safe_dump(config))
    env = {**os.environ, "W22_WEBHOOK_SECRET": SECRET, "TUTORLOOP_API_TOKEN": TOKEN}
    db = tmp_path / "tutorloop.db"
    port = free_port()
    service = start_service(tmp_path, port, env, "serve.log")
    first = watcher(tmp_path, env, "watch-1.log")
    processes = [service, first]
    writer = threading.Thread(target=write_folder, args=(tmp_path / "in",))
    writer.start()
    try:
        deadline = time.monotonic() + 120
        while count(db, "SELECT COUNT(*) FROM watch_sessions") < 1_500:
            assert first.poll() is None, (tmp_path / "watch-1.log").read_text()
            assert time.monotonic() < deadline, "the watcher graded nothing"
            time.sleep(0.05)
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
        assert first.returncode == -signal.SIGKILL
        second = watcher(tmp_path, env, "watch-2.log")
        processes.append(second)
        answers = post_http(f"http://127.0.0.1:{port}")
        writer.join(timeout=120)
        total = FOLDER_SESSIONS + HTTP_SESSIONS
        deadline = time.monotonic() + 120
        while count(db, "SELECT COUNT(*) FROM watch_sessions") < total:
            assert second.poll() is None, (tmp_path / "watch-2.log").read_text()
            assert time.monotonic() < deadline, "not every session was graded"
            time.sleep(0.1)
        deadline = time.monotonic() + 30
        while not receiver.received:
            assert time.monotonic() < deadline, "no alert reached the webhook"
            time.sleep(0.1)
        time.sleep(2)  # a second delivery, were there one, would arrive now
        second.send_signal(signal.SIGINT)
        second.wait(timeout=30)
    finally:
        writer.join(timeout=5)
        for process in processes:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=30)
        receiver.close()
    # every session graded exactly once, into the watch runs
    assert count(db, "SELECT COUNT(*) FROM watch_sessions") == total
    assert count(db, "SELECT COUNT(*) FROM items WHERE run_id LIKE 'watch-%'") == total
    assert count(db, "SELECT COUNT(DISTINCT item_key) FROM items") == total
    assert count(db, "SELECT COUNT(DISTINCT run_id) FROM items") >= 3  # hourly buckets
    assert sum(a["accepted"] + a["duplicate"] for a in answers) == HTTP_SESSIONS
    # the malformed line reported once (across the kill), naming its field
    logs = (tmp_path / "watch-1.log").read_text() + (tmp_path / "watch-2.log").read_text()
    assert logs.count("trajectory") >= 1
    assert logs.count("must not be empty") == 1, logs[-3000:]
    # exactly one alert, signed, raised within one window of the shift
    assert len(receiver.received) == 1
    headers, body = receiver.received[0]
    assert receiver.valid(headers, body)
    event = json.loads(body)
    assert event["rule"] == "answered-too-early"
    assert 0 < event["window_end"] - (T0 + SHIFT) <= WINDOW
    assert count(db, "SELECT COUNT(*) FROM alert_episodes") == 1
    assert count(db, "SELECT COUNT(*) FROM review_samples") > 0
    assert time.monotonic() - started < 240
