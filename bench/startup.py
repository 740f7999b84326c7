"""Start-up time of the command line: ``tutorloop --help`` and ``--version`` beside ``python``.

Each command runs many times in a fresh subprocess; the median wall time and the median CPU
time (user + system of the child, far steadier than wall time on a busy machine) are printed
with the reference ``python -c pass`` (the interpreter's own start-up) and ``import tutorloop``,
then the ratios that matter: each command against the 0.5 s aim and against the bare
interpreter. Last, the heavy libraries ``--help`` imports (there should be none).

    python bench/startup.py              # 15 runs of each
    python bench/startup.py --runs 31
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

AIM_S = 0.5
HEAVY = (
    "altair", "vl_convert", "sklearn", "scipy", "fastapi", "uvicorn", "pyarrow", "openai",
    "numpy", "pydantic", "jinja2",
)  # fmt: skip


def command() -> list[str]:
    """The installed ``tutorloop`` script beside this interpreter, else ``python -m tutorloop``."""
    script = Path(sys.executable).parent / "tutorloop"
    if script.exists():
        return [str(script)]
    found = shutil.which("tutorloop")
    return [found] if found else [sys.executable, "-m", "tutorloop"]


def median_wall(argv: list[str], runs: int) -> tuple[float, float]:
    """Median wall and CPU seconds of ``argv`` over ``runs`` fresh processes (after a warm-up)."""
    subprocess.run(argv, capture_output=True, check=True)  # warm the file cache
    times, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(times), statistics.median(cpus)


def heavy_imports(argv_tail: list[str]) -> list[str]:
    """The libraries of ``HEAVY`` that ``tutorloop <argv_tail>`` imports."""
    code = (
        "import sys\n"
        f"sys.argv = ['tutorloop', *{argv_tail!r}]\n"
        "from tutorloop.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return done.stderr.split()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    cli = command()
    cases = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "python -c 'import tutorloop'": [sys.executable, "-c", "import tutorloop"],
        "tutorloop --version": [*cli, "--version"],
        "tutorloop --help": [*cli, "--help"],
    }
    figures = {name: median_wall(argv, args.runs) for name, argv in cases.items()}
    base = figures["python -c pass"][0]
    print(f"median of {args.runs} runs each ({' '.join(cli)})")
    print(f"{'case':30} {'wall':>8} {'CPU':>8} {'wall vs python':>15} {'vs 0.5 s aim':>13}")
    for name, (seconds, cpu) in figures.items():
        print(f"{name:30} {seconds * 1000:5.0f} ms {cpu * 1000:5.0f} ms {seconds / base:14.2f}x "
              f"{seconds / AIM_S:12.2f}x")  # fmt: skip
    help_wall, help_cpu = figures["tutorloop --help"]
    print(f"--help on a quiet machine, scaled by the interpreter's slowdown here: about "
          f"{1000 * help_wall * 0.020 / base:.0f} ms (python -c pass takes about 20 ms quiet); "
          f"CPU {1000 * help_cpu:.0f} ms")  # fmt: skip
    heavy = heavy_imports(["--help"])
    print(f"heavy libraries imported by --help: {', '.join(heavy) or 'none'}")


if __name__ == "__main__":
    main()
