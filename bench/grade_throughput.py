"""Grading throughput and memory on several session shapes, beside a reference in the same run.

Each measurement runs in a fresh child process so that its peak RSS is its own. Three paths,
interleaved, ``--repeats`` times each (medians printed):

* ``parse`` (the reference): load the JSONL into validated sessions, nothing else;
* ``grade``: load → heuristics → decide, streamed, results dropped (the grading itself);
* ``grade+store``: the full ``grade_paths`` run, writing every result and its grades to SQLite.

Three shapes of synthetic 16-turn sessions: ``short`` (one-sentence tutor turns, as the bundled
generator writes them), ``long`` (realistic tutor turns of four or five sentences, about
300 characters) and ``unique`` (``short`` with a note of its own at the end of every tutor turn).
The heuristics read each distinct tutor text once and keep its features in a bounded cache;
``short`` and ``long`` repeat their tutor texts (as templated tutors and stock phrases do), so
``unique`` is the cost when every text is new.
Printed per shape and size: sessions/s, CPU per session (process CPU time,
steadier than wall time on a busy machine), peak RSS; then the ratios that matter: CPU per
session against the reference's, throughput against the 5,000 (grade) and 3,000 (grade+store)
sessions/s aims, peak RSS of the largest size against the smallest, and what the store adds
per session (grade+store less grade) beside what the 3,000/s aim leaves it.

Then the deterministic OpenAI-Evals graders (``string_check`` and every ``text_similarity``
metric but ``cosine``, which needs an embedding model) over item/sample pairs, and the
judge-call rate of heuristics-first grading on the bundled sessions (the share of sessions where
a heuristic check is unsure, so ``--judge`` would call the judge).

    python bench/grade_throughput.py                          # N = 2,000 and 20,000
    python bench/grade_throughput.py --sizes 10000 1000000 --repeats 1
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

AIM_SESSIONS_PER_S = {"grade": 5000, "grade+store": 3000}
MODES = ("parse", "grade", "grade+store")


def write_shape(path: Path, n: int, turns: int, shape: str) -> Path:
    """``n`` synthetic sessions; ``long`` joins four or five tutor turns into each tutor turn;
    ``unique`` ends every tutor turn with a note of its own, so no two tutor texts are equal."""
    from tutorloop.bundled import synthetic_session

    with path.open("w", encoding="utf-8") as handle:
        for i in range(n):
            session = synthetic_session(i, turns)
            if shape == "unique":
                for k, turn in enumerate(session["trajectory"]):  # type: ignore[arg-type]
                    if turn["role"] == "assistant":
                        turn["content"] += f" (note {i}.{k})"
            if shape == "long":
                trajectory: list[dict[str, str]] = session["trajectory"]  # type: ignore[assignment]
                said = [t["content"] for t in trajectory if t["role"] == "assistant"]
                k = 0
                for turn in trajectory:
                    if turn["role"] == "assistant":
                        parts = [said[(k + j) % len(said)] for j in range(4 + k % 2)]
                        turn["content"] = " ".join(parts)
                        k += 1
            handle.write(json.dumps(session, ensure_ascii=False) + "\n")
    return path


def child(mode: str, data: Path, store: Path) -> dict[str, float]:
    from tutorloop.load import iter_items
    from tutorloop.run import RunConfig, SessionGrader, grade_paths

    wall, cpu = time.perf_counter(), time.process_time()
    if mode == "parse":
        count = sum(1 for _ in iter_items([data]))
    elif mode == "grade":
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
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 20_000])
    parser.add_argument("--shapes", nargs="+", default=["short", "long", "unique"])
    parser.add_argument("--turns", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--grader-items", type=int, default=100_000)
    parser.add_argument("--child", nargs=3, metavar=("MODE", "DATA", "STORE"), help="internal")
    args = parser.parse_args()
    if args.child:
        mode, data, store = args.child
        print(json.dumps(child(mode, Path(data), Path(store))))
        return

    rows: dict[tuple[str, int, str], dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for shape in args.shapes:
            for n in args.sizes:
                data = write_shape(Path(tmp) / f"{shape}-{n}.jsonl", n, args.turns, shape)
                runs: dict[str, list[dict[str, float]]] = {mode: [] for mode in MODES}
                for round_ in range(args.repeats):
                    for mode in MODES[round_ % 3 :] + MODES[: round_ % 3]:
                        store = Path(tmp) / f"store-{shape}-{n}-{round_}.db"
                        runs[mode].append(measure(mode, data, store))
                        store.unlink(missing_ok=True)
                for mode, results in runs.items():
                    r = {
                        "rate": statistics.median(x["n"] / x["wall_s"] for x in results),
                        "cpu_us": statistics.median(1e6 * x["cpu_s"] / x["n"] for x in results),
                        "rss": statistics.median(x["peak_rss_mib"] for x in results),
                    }
                    rows[(shape, n, mode)] = r
                    print(f"{shape:5} {mode:12} N={n:>9,}  {r['rate']:>8,.0f} sessions/s  "
                          f"{r['cpu_us']:>6.0f} µs CPU/session  peak RSS {r['rss']:6.1f} MiB",
                          flush=True)  # fmt: skip
    small, large = min(args.sizes), max(args.sizes)
    print()
    for shape in args.shapes:
        reference = rows[(shape, large, "parse")]["cpu_us"]
        for mode in ("grade", "grade+store"):
            r = rows[(shape, large, mode)]
            aim = AIM_SESSIONS_PER_S[mode]
            growth = r["rss"] / rows[(shape, small, mode)]["rss"]
            print(f"{shape:5} {mode:12} CPU/session {r['cpu_us'] / reference:5.2f}x parsing alone; "
                  f"throughput {r['rate'] / aim:5.2f}x the {aim:,}/s aim "
                  f"(CPU-bound: {1e6 / r['cpu_us'] / aim:5.2f}x); peak RSS at N={large:,} is "
                  f"{growth:4.2f}x that at N={small:,} (aim ≤ 1.10x)")  # fmt: skip
        graded = rows[(shape, large, "grade")]["cpu_us"]
        added = rows[(shape, large, "grade+store")]["cpu_us"] - graded
        aim = AIM_SESSIONS_PER_S["grade+store"]
        print(f"{shape:5} the store adds {added:4.0f} µs CPU per session to grading; the "
              f"{aim:,}/s aim leaves it {1e6 / aim - graded:4.0f} µs")  # fmt: skip
    print()
    grader_rates(args.grader_items)
    judge_call_rate()


if __name__ == "__main__":
    main()
