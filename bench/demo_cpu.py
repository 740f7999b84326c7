"""CPU time of ``tutorloop demo`` after installation, beside a reference measured in the same run.

The demo runs in a fresh process in an empty temporary directory (its own store and
``demo-output/``), ``--runs`` times; printed are the median CPU time (user + system of the
process and its children, far steadier than wall time on a busy machine), the median wall time,
and the ratios to the 20 s aim and to ``python -c 'import tutorloop.cli.demo'`` (the imports
alone), measured the same way in the same run.

    python bench/demo_cpu.py            # one run of each
    python bench/demo_cpu.py --runs 3
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

AIM_CPU_S = 20.0


def measure(argv: list[str]) -> tuple[float, float]:
    """CPU and wall seconds of ``argv`` run in a fresh empty directory."""
    with tempfile.TemporaryDirectory() as tmp:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(argv, cwd=tmp, check=True, capture_output=True)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    cases = {
        "imports only": [sys.executable, "-c", "import tutorloop.cli.demo"],
        "tutorloop demo": [sys.executable, "-m", "tutorloop", "demo"],
    }
    figures: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
    for _ in range(args.runs):  # interleaved
        for name, argv in cases.items():
            figures[name].append(measure(argv))
    medians = {
        name: (statistics.median(c for c, _ in runs), statistics.median(w for _, w in runs))
        for name, runs in figures.items()
    }
    for name, (cpu, wall) in medians.items():
        print(f"{name:16} CPU {cpu:7.2f} s  wall {wall:7.2f} s")
    demo_cpu = medians["tutorloop demo"][0]
    print(f"demo CPU / {AIM_CPU_S:.0f} s aim: {demo_cpu / AIM_CPU_S:.2f}x "
          f"({'met' if demo_cpu <= AIM_CPU_S else 'NOT met'}); "
          f"demo CPU / imports only: {demo_cpu / medians['imports only'][0]:.1f}x")  # fmt: skip
    print(f"(in {Path.cwd()}; {args.runs} run(s) each)")


if __name__ == "__main__":
    main()
