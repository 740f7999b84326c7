"""The review queue page for a run of 10,000 sessions: time to first byte and page size.

Grades N synthetic sessions (default 10,000, heuristics only) into a temporary store, starts
``tutorloop serve`` on it as a child process with one reviewer, and asks for the queue pages a
reviewer opens: the run's queue (most severe first, grouped by cause, 50 rows a page), a
filtered page, the "what should I label" order, the JSON under them, one session and the runs
page. Each is asked R times (default 7) over one kept-alive connection; prints the time to
first byte of the first ask (cold: the run's rows are read from the store) and the median of the
others (warm: the service keeps a run's rows until it gains items or labels), the page size,
and the size of the one-page queue (every escalated session on one page) against the paged one.

    python bench/review_queue.py
    python bench/review_queue.py --sessions 2000 --repeats 3
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote, urlencode

from local_service import free_port, wait_ready

ADMIN = "bench-admin-" + "0123456789abcdef"
REVIEWER = "bench-reviewer-" + "fedcba9876543210"


def _get(conn: http.client.HTTPConnection, path: str) -> tuple[float, bytes]:
    """Seconds to the first byte of the answer (its status line and headers), and its body."""
    started = time.perf_counter()
    conn.request("GET", path, headers={"Authorization": f"Bearer {REVIEWER}"})
    response = conn.getresponse()
    first = time.perf_counter() - started
    body = response.read()
    if response.status != 200:
        raise SystemExit(f"GET {path}: {response.status} {body[:300]!r}")
    return first, body


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()

    from tutorloop.bundled import write_synthetic_jsonl
    from tutorloop.run import RunConfig, grade_paths
    from tutorloop.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        data = write_synthetic_jsonl(Path(tmp) / "sessions.jsonl", args.sessions)
        store = Path(tmp) / "tutorloop.db"
        started = time.perf_counter()
        report = grade_paths([data], options=RunConfig(store_path=store, run_id="bench"))
        counts = report.manifest.counts
        print(
            f"graded {counts.done} sessions ({counts.escalated} escalated) in "
            f"{time.perf_counter() - started:.1f} s",
            flush=True,
        )
        with Store.open(store) as opened:  # in this process: the service starts cold
            first = next(opened.iter_items("bench", escalated_only=True))
            item, domain = first.item_key, first.domain or ""
        with sqlite3.connect(store) as conn:
            kept, kept_bytes = conn.execute(
                "SELECT COUNT(*), COALESCE(SUM(LENGTH(record_json)), 0) FROM item_records"
            ).fetchone()
        conn.close()
        print(
            f"records kept for review: {kept} ({kept_bytes / 2**20:.1f} MiB), "
            f"{kept_bytes / store.stat().st_size:.2f}× of the store file"
        )
        port = free_port()
        env = {**os.environ, "TUTORLOOP_API_TOKEN": ADMIN,
               "TUTORLOOP_REVIEWER_TOKENS": f"bench={REVIEWER}"}  # fmt: skip
        command = [sys.executable, "-m", "tutorloop", "serve", "--port", str(port),
                   "--store", str(store)]  # fmt: skip
        log = (Path(tmp) / "serve.log").open("wb")
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_ready(f"http://127.0.0.1:{port}", process)
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            queue = "/review/runs/bench/queue"
            pages = {
                "queue page (50 rows)": queue,
                "filtered by domain": f"{queue}?{urlencode({'domain': domain})}",
                "label next order": f"{queue}?order=next",
                "JSON queue (50 rows)": "/v1/review/queue?" + urlencode({"run_id": "bench"}),
                "one session": f"/review/runs/bench/items/{quote(item, safe='')}",
                "runs page": "/review",
            }
            print(f"{'page':<24} {'TTFB cold':>10} {'warm':>8} {'size':>10}")
            results: dict[str, tuple[float, int]] = {}
            for name, path in pages.items():
                times, size = [], 0
                for _ in range(max(2, args.repeats)):
                    first, body = _get(conn, path)
                    times.append(first)
                    size = len(body)
                warm = statistics.median(times[1:])
                results[name] = (warm, size)
                print(f"{name:<24} {times[0] * 1000:>7.0f} ms {warm * 1000:>5.0f} ms "
                      f"{size / 1024:>7.1f} KiB")  # fmt: skip
            label = {"run_id": "bench", "item_key": item, "dimension": "overall", "value": "fail"}
            conn.request("POST", "/v1/labels", body=json.dumps(label),
                         headers={"Authorization": f"Bearer {REVIEWER}",
                                  "Content-Type": "application/json"})  # fmt: skip
            answer = conn.getresponse()
            answer.read()
            if answer.status != 201:
                raise SystemExit(f"POST /v1/labels: {answer.status}")
            after, _ = _get(conn, queue)
            after_next, _ = _get(conn, f"{queue}?order=next")
            print(
                f"after a label is posted: the queue page {after * 1000:.0f} ms, the label-next "
                f"order {after_next * 1000:.0f} ms (its ranking skips what is labelled)"
            )
            whole = counts.escalated
            per_row = results["queue page (50 rows)"][1] / max(1, min(50, whole))
            one_page = per_row * whole
            print(
                f"one page of all {whole} escalated sessions would be about "
                f"{one_page / 2**20:.1f} MiB: paging keeps the page at "
                f"{results['queue page (50 rows)'][1] / one_page:.3f}× of it"
            )
            conn.close()
        finally:
            process.terminate()
            process.wait(timeout=30)
            log.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
