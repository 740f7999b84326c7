"""Grading throughput and memory: synthetic 16-turn sessions as JSONL, graded at two sizes.

Each measurement runs in a fresh child process so that its peak RSS is its own. Two paths:

* ``grade``: load → heuristics → decide, streamed, results dropped (the grading itself);
* ``grade+store``: the full ``grade_paths`` run, writing every result and its grades to SQLite.

Printed per size: sessions/s, CPU per session, peak RSS; then the ratios that matter: throughput
against the 5,000 sessions/s aim, and peak RSS of the large size against the small one.

Then the deterministic OpenAI-Evals graders (``string_check`` and every ``text_similarity``
metric but ``cosine``, which needs an embedding model) over 100,000 item/sample pairs, and the
judge-call rate of heuristics-first grading on the bundled sessions (the share of sessions where
a heuristic check is unsure, so ``--judge`` would call the judge).

    python bench/grade_throughput.py                # N = 1,000 and 100,000
    python bench/grade_throughput.py --sizes 1000 20000 --grader-items 20000
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

AIM_SESSIONS_PER_S = 5000


def child(mode: str, data: Path, store: Path) -> dict[str, float]:
    from tutorloop.load import iter_items
    from tutorloop.run import RunConfig, SessionGrader, grade_paths

    wall, cpu = time.perf_counter(), time.process_time()
    if mode == "grade":
        grader = SessionGrader()
        count = sum(1 for item in iter_items([data]) if grader.grade(item))
    else:
        report = grade_paths([data], options=RunConfig(store_path=store))
        count = report.new_items
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"n": count, "wall_s": wall, "cpu_s": cpu, "peak_rss_mib": peak_kib / 1024}


def grader_rates(n: int) -> None:
    """Items/s of each deterministic grader over ``n`` synthetic item/sample pairs."""
    import asyncio

    from tutorloop.grade import GradeEnv, Sample, parse_criteria

    words = [
        "the",
        "learner",
        "adds",
        "fractions",
        "by",
        "finding",
        "a",
        "common",
        "denominator",
        "first",
        "then",
        "adds",
    ]
    pairs = [
        (
            {"reference": " ".join(words[i % 5 :] + words[: i % 5])},
            Sample(output_text=" ".join(words[(i * 3) % 7 :] + words[: (i * 3) % 7])),
        )
        for i in range(n)
    ]
    specs: list[dict[str, object]] = [
        {"type": "string_check", "name": "eq", "input": "{{ sample.output_text }}",
         "reference": "{{ item.reference }}", "operation": "eq"},
        {"type": "string_check", "name": "ilike", "input": "{{ sample.output_text }}",
         "reference": "{{ item.reference }}", "operation": "ilike"},
    ]  # fmt: skip
    for metric in ("fuzzy_match", "bleu", "gleu", "meteor", "rouge_1", "rouge_2", "rouge_l"):
        specs.append({"type": "text_similarity", "name": metric, "evaluation_metric": metric,
                      "input": "{{ sample.output_text }}", "reference": "{{ item.reference }}",
                      "pass_threshold": 0.5})  # fmt: skip
    env = GradeEnv()

    async def run(grader: object) -> None:
        for item, sample in pairs:
            await grader.grade(item, sample, env)  # type: ignore[attr-defined]

    for grader in parse_criteria(specs, "bench"):
        start = time.perf_counter()
        asyncio.run(run(grader))
        elapsed = time.perf_counter() - start
        label = f"{grader.kind}:{grader.name}"
        print(f"{label:28} {n / elapsed:>10,.0f} items/s  ({n:,} items)", flush=True)


def judge_call_rate() -> None:
    """Share of bundled sessions heuristics-first grading would send to the judge."""
    from tutorloop.bundled import bundled_sessions
    from tutorloop.grade import StudyModeHeuristics
    from tutorloop.load import iter_items

    heuristics = StudyModeHeuristics()
    items = list(iter_items([bundled_sessions()]))
    unsure = sum(
        any(c.verdict == "unsure" for c in heuristics.grade(i.trajectory).checks) for i in items
    )
    print(f"judge-call rate on the bundled sessions: {unsure}/{len(items)} = "
          f"{unsure / len(items):.2f} judge calls per session")  # fmt: skip


def measure(mode: str, data: Path, store: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(data), str(store)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return dict(json.loads(out.splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 100_000])
    parser.add_argument("--turns", type=int, default=16)
    parser.add_argument("--grader-items", type=int, default=100_000)
    parser.add_argument("--child", nargs=3, metavar=("MODE", "DATA", "STORE"), help="internal")
    args = parser.parse_args()
    if args.child:
        mode, data, store = args.child
        print(json.dumps(child(mode, Path(data), Path(store))))
        return

    from tutorloop.bundled import write_synthetic_jsonl

    rows: dict[tuple[str, int], dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            data = write_synthetic_jsonl(Path(tmp) / f"sessions-{n}.jsonl", n, args.turns)
            for mode in ("grade", "grade+store"):
                r = measure(mode, data, Path(tmp) / f"store-{n}.db")
                rows[(mode, n)] = r
                print(
                    f"{mode:12} N={n:>8,}  {r['n'] / r['wall_s']:>8,.0f} sessions/s  "
                    f"{1e6 * r['cpu_s'] / r['n']:>6.0f} µs CPU/session  "
                    f"peak RSS {r['peak_rss_mib']:6.1f} MiB",
                    flush=True,
                )
    small, large = min(args.sizes), max(args.sizes)
    print()
    for mode in ("grade", "grade+store"):
        r = rows[(mode, large)]
        rate = r["n"] / r["wall_s"]
        growth = rows[(mode, large)]["peak_rss_mib"] / rows[(mode, small)]["peak_rss_mib"]
        print(
            f"{mode:12} throughput {rate / AIM_SESSIONS_PER_S:5.2f}× the {AIM_SESSIONS_PER_S:,}/s "
            f"aim; peak RSS at N={large:,} is {growth:4.2f}× that at N={small:,} (aim ≤ 1.10×)"
        )
    print()
    grader_rates(args.grader_items)
    judge_call_rate()


if __name__ == "__main__":
    main()
