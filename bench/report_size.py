"""HTML report at scale: 10,000 synthetic graded sessions, then ``build_report`` timed.

Builds a temporary store with ``write_synthetic_jsonl`` + ``grade_paths`` (heuristics only),
then times ``build_report`` (the escalation queue capped at ``--max-sessions``) and prints the
seconds, the size of the HTML in MiB and the peak RSS of the process. Aims: under a minute and
under 20 MB.

    python bench/report_size.py
    python bench/report_size.py --sessions 2000 --max-sessions 100
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

AIM_SECONDS = 60.0
AIM_MB = 20.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--max-sessions", type=int, default=500)
    parser.add_argument("--keep", type=Path, default=None, help="Also write the HTML here.")
    args = parser.parse_args()

    from tutorloop.bundled import write_synthetic_jsonl
    from tutorloop.present.report import ReportOptions, build_report
    from tutorloop.run import RunConfig, grade_paths

    with tempfile.TemporaryDirectory() as tmp:
        data = write_synthetic_jsonl(Path(tmp) / "sessions.jsonl", args.sessions)
        store = Path(tmp) / "tutorloop.db"
        started = time.perf_counter()
        report = grade_paths([data], options=RunConfig(store_path=store))
        graded_s = time.perf_counter() - started
        run_id = report.manifest.run_id
        counts = report.manifest.counts
        print(
            f"graded {counts.done} sessions ({counts.escalated} escalated) in {graded_s:.1f} s",
            flush=True,
        )
        started = time.perf_counter()
        html = build_report(run_id, ReportOptions(store_path=store, max_sessions=args.max_sessions))
        seconds = time.perf_counter() - started
    size = len(html.encode("utf-8"))
    mib, mb = size / 2**20, size / 1e6
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if args.keep:
        args.keep.write_text(html, encoding="utf-8")
    shown = html.count('<details class="session')
    print(
        f"build_report: {seconds:.2f} s, {mib:.2f} MiB ({mb:.2f} MB) of HTML, "
        f"{shown} sessions in the queue, peak RSS {peak:.0f} MiB"
    )
    ok = seconds < AIM_SECONDS and mb < AIM_MB
    print(f"aims (< {AIM_SECONDS:.0f} s, < {AIM_MB:.0f} MB): {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
