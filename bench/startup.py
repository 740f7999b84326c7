"""Start-up time of the command line: ``tutorloop --help`` and ``--version`` beside ``python``.

Each command runs many times in a fresh subprocess; the median wall time is printed with the
reference ``python -c pass`` (the interpreter's own start-up) and ``import tutorloop``, then the
ratios that matter: each command against the 0.5 s aim and against the bare interpreter. Last,
the heavy libraries ``--help`` imports (there should be none).

    python bench/startup.py              # 15 runs of each
    python bench/startup.py --runs 31
"""

from __future__ import annotations

import argparse
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


def median_wall(argv: list[str], runs: int) -> float:
    """Median wall seconds of ``argv`` over ``runs`` fresh processes (after one warm-up)."""
    subprocess.run(argv, capture_output=True, check=True)  # warm the file cache
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


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
    base = figures["python -c pass"]
    print(f"median wall time of {args.runs} runs each ({' '.join(cli)})")
    print(f"{'case':32} {'wall':>9} {'vs python':>10} {'vs 0.5 s aim':>13}")
    for name, seconds in figures.items():
        print(f"{name:32} {seconds * 1000:7.0f} ms {seconds / base:9.2f}x {seconds / AIM_S:12.2f}x")
    heavy = heavy_imports(["--help"])
    print(f"heavy libraries imported by --help: {', '.join(heavy) or 'none'}")


if __name__ == "__main__":
    main()
