"""The watcher: ingest-to-graded latency and sustained sessions/s, against in-process grading.

Synthetic 16-turn sessions (as ``bench/grade_throughput.py``). Three measurements, one run:

1. **in-process**: ``grade_paths`` over the sessions as one JSONL file into a fresh store (the
   batch path: load → heuristics → decide → store);
2. **sustained**: ``tutorloop watch`` (a subprocess) follows an empty folder; the same sessions
   are appended to it as fast as the writer can, and the clock stops when the last is stored;
3. **latency**: a second watcher on a fresh store; sessions are appended at a steady rate (below
   the sustained rate), each line's write time kept; a session's latency is its item's
   ``graded_at`` minus the time its line was written.

Printed: sessions/s for (1) and (2) and their ratio, and the p50/p95 latency of (3).

    python bench/watch.py [N]
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

N = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
RATE = 200.0
"""Sessions per second appended in the latency measurement."""
LATENCY_SECONDS = 15.0


def sessions(n: int, prefix: str) -> list[str]:
    from tutorloop.bundled import synthetic_session

    lines = []
    for i in range(n):
        record = synthetic_session(i, 16)
        record["session_id"] = f"{prefix}-{i:06d}"
        lines.append(json.dumps(record, ensure_ascii=False) + "\n")
    return lines


def count(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM watch_sessions").fetchone()[0])
    except sqlite3.OperationalError:
        return 0


def start_watcher(folder: Path, db: Path, config: Path) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "tutorloop",
        "watch",
        str(folder),
        "--store",
        str(db),
        "--config",
        str(config),
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not db.exists():  # the store is created once the watcher has started
        assert process.poll() is None and time.monotonic() < deadline, "the watcher did not start"
        time.sleep(0.05)
    return process


def wait_for(db: Path, total: int, timeout: float = 600) -> float:
    deadline = time.monotonic() + timeout
    while count(db) < total:
        assert time.monotonic() < deadline, f"only {count(db)} of {total} graded"
        time.sleep(0.02)
    return time.perf_counter()


def stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def in_process(work: Path, lines: list[str]) -> float:
    from tutorloop.run import RunConfig, grade_paths

    data = work / "batch.jsonl"
    data.write_text("".join(lines), encoding="utf-8")
    start = time.perf_counter()
    report = grade_paths([data], options=RunConfig(store_path=work / "batch.db", run_id="b"))
    elapsed = time.perf_counter() - start
    assert report.new_items == len(lines)
    return len(lines) / elapsed


def sustained(work: Path, lines: list[str], config: Path) -> float:
    folder, db = work / "sustained", work / "sustained.db"
    folder.mkdir()
    watcher = start_watcher(folder, db, config)
    try:
        start = time.perf_counter()
        with (folder / "a.jsonl").open("a", encoding="utf-8") as out:
            for i in range(0, len(lines), 500):
                out.write("".join(lines[i : i + 500]))
                out.flush()
        end = wait_for(db, len(lines))
    finally:
        stop(watcher)
    return len(lines) / (end - start)


def latency(work: Path, lines: list[str], config: Path) -> list[float]:
    folder, db = work / "latency", work / "latency.db"
    folder.mkdir()
    watcher = start_watcher(folder, db, config)
    written: dict[str, float] = {}
    try:
        with (folder / "a.jsonl").open("a", encoding="utf-8") as out:
            begin = time.time()
            for i, text in enumerate(lines):
                due = begin + i / RATE
                pause = due - time.time()
                if pause > 0:
                    time.sleep(pause)
                out.write(text)
                out.flush()
                written[json.loads(text)["session_id"]] = time.time()
        wait_for(db, len(lines))
    finally:
        stop(watcher)
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT item_key, graded_at FROM items").fetchall()
    return sorted(datetime.fromisoformat(graded).timestamp() - written[key] for key, graded in rows)


def percentile(values: list[float], share: float) -> float:
    return values[min(len(values) - 1, int(share * len(values)))]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        config = work / "watch.yaml"
        config.write_text("watch:\n  poll: 0.05\n  bucket: 1d\n", encoding="utf-8")
        lines = sessions(N, "s")
        batch = in_process(work, lines)
        watched = sustained(work, sessions(N, "w"), config)
        delays = latency(work, sessions(int(RATE * LATENCY_SECONDS), "l"), config)
    print(f"in-process grading (grade_paths, store): {batch:,.0f} sessions/s  (N={N:,})")
    print(f"watcher, sustained (appended at once):   {watched:,.0f} sessions/s  (N={N:,})")
    print(f"ratio watcher / in-process:              {watched / batch:.2f}")
    p50, p95 = percentile(delays, 0.5) * 1000, percentile(delays, 0.95) * 1000
    print(
        f"ingest-to-graded latency at {RATE:.0f} sessions/s: p50 {p50:.0f} ms, "
        f"p95 {p95:.0f} ms (n={len(delays):,})"
    )
    print(f"cpus: {os.cpu_count()}")


if __name__ == "__main__":
    main()
