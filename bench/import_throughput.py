"""Log import throughput and memory: each log format beside tutorloop's own JSONL, same sessions.

The same synthetic 16-turn sessions are written as tutorloop session JSONL (the reference) and
as OpenAI chat JSONL (``{"messages": [...]}``, one conversation per line) and CSV (one turn per
row); each file is read through the one session loader (``iter_loaded``, detection included)
in a fresh child process, so its peak RSS is its own. Printed: sessions/s, CPU per session,
peak RSS, and each format's CPU per session against the reference's.

    python bench/import_throughput.py            # 20,000 sessions
    python bench/import_throughput.py --sessions 2000
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from tutorloop.bundled import synthetic_session

_CHILD = """
import resource, sys, time
from tutorloop.load import Item, iter_loaded
start = time.process_time()
count = sum(isinstance(x, Item) for x in iter_loaded([sys.argv[1]]))
cpu = time.process_time() - start
print(count, cpu, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def write_files(folder: Path, sessions: int) -> dict[str, Path]:
    """The same sessions in each format, streamed to disk."""
    paths = {
        "tutorloop": folder / "sessions.jsonl",
        "openai-chat": folder / "chat.jsonl",
        "csv": folder / "turns.csv",
    }
    with (
        paths["tutorloop"].open("w", encoding="utf-8") as native,
        paths["openai-chat"].open("w", encoding="utf-8") as chat,
        paths["csv"].open("w", encoding="utf-8", newline="") as table,
    ):
        rows = csv.writer(table)
        rows.writerow(["session_id", "turn_index", "role", "content"])
        for i in range(sessions):
            session = synthetic_session(i)
            native.write(json.dumps(session) + "\n")
            turns = session["trajectory"]
            chat.write(json.dumps({"messages": turns}) + "\n")
            for index, turn in enumerate(turns):
                rows.writerow([session["session_id"], index, turn["role"], turn["content"]])
    return paths


def measure(path: Path) -> tuple[int, float, float]:
    """Sessions read, CPU seconds and peak RSS (MiB) of reading ``path`` in a fresh process."""
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path)], capture_output=True, text=True, check=True
    ).stdout.split()
    return int(out[0]), float(out[1]), int(out[2]) / 1024


def main() -> None:
    """Write the files, read each, print the figures and the ratios to the reference."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        paths = write_files(Path(folder), args.sessions)
        results = {name: measure(path) for name, path in paths.items()}
    reference = results["tutorloop"][1] / max(1, results["tutorloop"][0])
    print(f"{args.sessions:,} synthetic 16-turn sessions, read through iter_loaded")
    print(f"{'format':<12} {'sessions':>9} {'sessions/s (CPU)':>17} {'CPU/session':>12} "
          f"{'peak RSS':>9} {'vs tutorloop JSONL':>19}")  # fmt: skip
    for name, (count, cpu, rss) in results.items():
        per = cpu / max(1, count)
        print(f"{name:<12} {count:>9,} {count / cpu:>17,.0f} {per * 1e6:>9.0f} µs "
              f"{rss:>6.1f} MiB {per / reference:>18.2f}×")  # fmt: skip


if __name__ == "__main__":
    main()
