"""The cost of one python-grader call: in the bubblewrap sandbox, as a plain process, in-process.

The same ``grade(sample, item)`` runs three ways, one item at a time (so the figure is the
latency of one call, not a throughput); the two process paths take turns call by call:

* ``sandbox``: :class:`~tutorloop.grade.graders.python_grader.PythonGrader` with
  ``python_graders="sandbox"`` (bwrap, new namespaces, then the runner);
* ``subprocess``: the same grader with ``python_graders="unsandboxed"`` (a plain child
  process, the path before the sandbox);
* ``in-process``: the compiled ``grade`` function called directly (what a grader costs without
  any isolation; never done by tutorloop, shown as the floor).

Printed: the median and p90 per call of each, and the ratios sandbox/subprocess and
sandbox/in-process.

    python bench/python_sandbox.py              # 40 calls each
    python bench/python_sandbox.py --calls 100
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from typing import Any

SOURCE = """
def grade(sample, item):
    words = sample["output_text"].split()
    return sum(1 for w in words if w in item["expected"]) / max(1, len(words))
"""
ITEM = {"expected": "the learner adds fractions with unlike denominators"}
TEXT = "the learner adds two fractions with a common denominator"


def timed_calls(calls: int, modes: list[str]) -> dict[str, list[float]]:
    """Seconds per call of the grader in each mode (``sandbox``, ``unsandboxed``).

    The modes take turns call by call, so a busy moment on the machine slows each alike.
    """
    from tutorloop.grade import GradeEnv, Sample
    from tutorloop.grade.graders.python_grader import PythonGrader

    grader = PythonGrader(name="overlap", source=SOURCE)
    envs = {mode: GradeEnv(python_graders=mode) for mode in modes}  # type: ignore[arg-type]
    sample = Sample.from_text(TEXT)

    async def run() -> dict[str, list[float]]:
        times: dict[str, list[float]] = {mode: [] for mode in modes}
        for env in envs.values():
            await grader.grade(ITEM, sample, env)  # warm-up (and the sandbox probe)
        for _ in range(calls):
            for mode, env in envs.items():
                start = time.perf_counter()
                result = await grader.grade(ITEM, sample, env)
                times[mode].append(time.perf_counter() - start)
                assert result.error is None, result.error
        return times

    return asyncio.run(run())


def in_process(calls: int) -> list[float]:
    """Seconds per direct call of the same ``grade`` function."""
    space: dict[str, Any] = {}
    exec(compile(SOURCE, "<grader>", "exec"), space)
    grade = space["grade"]
    sample = {"output_text": TEXT, "output_json": None}
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        grade(sample, ITEM)
        times.append(time.perf_counter() - start)
    return times


def describe(name: str, times: list[float]) -> float:
    """Print and return the median of ``times``."""
    median = statistics.median(times)
    p90 = statistics.quantiles(times, n=10)[-1] if len(times) >= 10 else max(times)
    print(f"  {name:<11} median {median * 1000:9.4f} ms   p90 {p90 * 1000:9.4f} ms per call")
    return median


def main() -> None:
    """Measure the three ways and print the per-call times and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=40)
    args = parser.parse_args()
    from tutorloop.grade.graders.sandbox import sandbox_problem

    problem = sandbox_problem()
    print(f"python {sys.version.split()[0]}, {args.calls} calls each, one at a time")
    medians: dict[str, float] = {}
    if problem is not None:
        print(f"  sandbox     skipped: {problem}")
    modes = ["sandbox", "unsandboxed"] if problem is None else ["unsandboxed"]
    times = timed_calls(args.calls, modes)
    if problem is None:
        medians["sandbox"] = describe("sandbox", times["sandbox"])
    medians["subprocess"] = describe("subprocess", times["unsandboxed"])
    medians["in-process"] = describe("in-process", in_process(max(args.calls, 1000)))
    if "sandbox" in medians:
        sandbox = medians["sandbox"]
        print(f"  sandbox / subprocess: {sandbox / medians['subprocess']:.2f}x")
        print(f"  sandbox / in-process: {sandbox / medians['in-process']:,.0f}x")
        extra = (sandbox - medians["subprocess"]) * 1000
        print(f"  the sandbox adds {extra:.1f} ms per call")


if __name__ == "__main__":
    main()
