"""Scale: grade N synthetic sessions with the local engine and with Ray Data on this machine.

Each measurement runs in a fresh child process. Two engines over the same JSONL shards:

* ``local``: ``grade_paths``: one process, load → heuristics → decide → SQLite;
* ``ray``: ``ray_grade_paths`` on a local Ray cluster started by the run: the same grader in a
  pool of actors, Parquet results, then the import into the same SQLite store. Its time is
  split into the Ray part (start-up, read, grade, write) and the import.

Printed per engine and size: sessions/s, CPU per session summed over every process, and peak
memory of the whole process tree (the driver plus Ray's own processes and workers, sampled from
``/proc``). Then the ratios: Ray's throughput against the local engine's, and where the
crossover would be with more cores, from the per-session costs measured here.

    python bench/scale.py                           # N = 100,000 and 1,000,000
    python bench/scale.py --sizes 20000 100000 --actors 2
    python bench/scale.py --sizes 1000000 --engines ray
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any


def tree_rss_mib(root: int) -> float:
    """Resident memory of ``root`` and every descendant, from ``/proc``."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            text = Path(f"/proc/{entry}/status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        parents[int(entry)] = int(fields.get("PPid", "0").strip())
        rss[int(entry)] = int(fields.get("VmRSS", "0 kB").split()[0])
    total, frontier = 0, [root]
    while frontier:
        pid = frontier.pop()
        total += rss.get(pid, 0)
        frontier.extend(child for child, parent in parents.items() if parent == pid)
    return total / 1024


def tree_cpu_s(root: int) -> float:
    """CPU seconds of ``root`` and its descendants still alive (``/proc/*/stat``)."""
    tick = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry)] = int(fields[1])
        cpu[int(entry)] = (int(fields[11]) + int(fields[12])) / tick
    total, frontier = 0.0, [root]
    while frontier:
        pid = frontier.pop()
        total += cpu.get(pid, 0.0)
        frontier.extend(child for child, parent in parents.items() if parent == pid)
    return total


class Sampler:
    """Peak memory and CPU of this process tree, sampled every half second."""

    def __init__(self) -> None:
        self.peak_mib = 0.0
        self.cpu_s = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            self.peak_mib = max(self.peak_mib, tree_rss_mib(os.getpid()))
            self.cpu_s = max(self.cpu_s, tree_cpu_s(os.getpid()))

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_mib = max(self.peak_mib, tree_rss_mib(os.getpid()))


def child(engine: str, shards: list[Path], store: Path, actors: int) -> dict[str, Any]:
    from tutorloop.run import RunConfig, grade_paths

    options = RunConfig(run_id="bench", store_path=store)
    timings: dict[str, float] = {}
    with Sampler() as sampler:
        wall = time.perf_counter()
        if engine == "local":
            report = grade_paths(shards, options=options)
        else:
            import tutorloop.engines.ray_grade as ray_grade
            from tutorloop.engines import RayOptions

            real_import = ray_grade.import_results

            def timed_import(*args: Any, **kwargs: Any) -> Any:
                start = time.perf_counter()
                try:
                    return real_import(*args, **kwargs)
                finally:
                    timings["import_s"] = time.perf_counter() - start

            ray_grade.import_results = timed_import  # type: ignore[assignment]
            ray_options = RayOptions(actors=actors, cpus_per_actor=1.0, object_store_mb=200)
            report = ray_grade.ray_grade_paths(shards, options=options, ray_options=ray_options)
        wall = time.perf_counter() - wall
        cpu = time.process_time()
    cpu_total = max(sampler.cpu_s, cpu)
    return {"n": report.new_items, "wall_s": wall, "cpu_s": cpu_total,
            "peak_mib": sampler.peak_mib, **timings}  # fmt: skip


def measure(engine: str, shards: list[Path], store: Path, actors: int) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", engine, str(store), str(actors)]
    out = subprocess.run(
        [*command, *map(str, shards)], check=True, capture_output=True, text=True
    ).stdout
    return dict(json.loads(out.splitlines()[-1]))


def write_shards(folder: Path, n: int, shards: int, turns: int) -> list[Path]:
    from tutorloop.bundled import synthetic_session

    paths = [folder / f"part-{i:03d}.jsonl" for i in range(shards)]
    handles = [p.open("w", encoding="utf-8") for p in paths]
    for i in range(n):
        handles[i * shards // n].write(json.dumps(synthetic_session(i, turns)) + "\n")
    for handle in handles:
        handle.close()
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--turns", type=int, default=16)
    parser.add_argument("--shards", type=int, default=8)
    parser.add_argument("--actors", type=int, default=2)
    parser.add_argument("--engines", nargs="+", default=["local", "ray"], choices=["local", "ray"])
    parser.add_argument("--child", nargs=3, metavar=("ENGINE", "STORE", "ACTORS"), help="internal")
    parser.add_argument("paths", nargs="*", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        engine, store, actors = args.child
        print(json.dumps(child(engine, args.paths, Path(store), int(actors))))
        return
    cores = os.cpu_count() or 1
    print(f"{cores} cores; Ray: {args.actors} actors, 1 CPU each, 200 MB object store", flush=True)
    rows: dict[tuple[str, int], dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            folder = Path(tmp) / f"n{n}"
            folder.mkdir()
            shards = write_shards(folder, n, args.shards, args.turns)
            for engine in args.engines:
                r = measure(engine, shards, folder / f"{engine}.db", args.actors)
                rows[(engine, n)] = r
                split = ""
                if "import_s" in r:
                    ray_s = r["wall_s"] - r["import_s"]
                    split = f"  (Ray {ray_s:6.1f} s + import {r['import_s']:6.1f} s)"
                print(
                    f"{engine:5} N={n:>9,}  {r['n'] / r['wall_s']:>7,.0f} sessions/s  "
                    f"{1e6 * r['cpu_s'] / r['n']:>6.0f} µs CPU/session  "
                    f"peak memory {r['peak_mib']:7.1f} MiB{split}",
                    flush=True,
                )
    print()
    for n in args.sizes if len(args.engines) == 2 else []:
        local, ray = rows[("local", n)], rows[("ray", n)]
        speed = (ray["n"] / ray["wall_s"]) / (local["n"] / local["wall_s"])
        memory = ray["peak_mib"] / local["peak_mib"]
        # Ray's grading part parallelises over cores; the import into one SQLite file does not.
        ray_part = ray["wall_s"] - ray["import_s"]
        per_core_ray = ray_part * args.actors / n  # s of one actor per session
        per_local = local["wall_s"] / n
        serial = ray["import_s"] / n
        crossover = "never (the import alone is slower than the local run)"
        if serial < per_local:
            crossover = f"{per_core_ray / (per_local - serial):.1f} actor cores"
        print(
            f"N={n:>9,}: Ray/local throughput {speed:4.2f}×, peak memory {memory:4.2f}×; "
            f"per session: local {1e6 * per_local:.0f} µs, Ray {1e6 * per_core_ray:.0f} µs·actor "
            f"+ import {1e6 * serial:.0f} µs; Ray overtakes local with ≈ {crossover}"
        )


if __name__ == "__main__":
    main()
