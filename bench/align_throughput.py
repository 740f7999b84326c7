"""Alignment run throughput and memory with the offline simulators, at two sizes.

Each case runs in its own process: ``run_align`` over a synthetic dataset (the bundled items
copied under new ids) × 16 personas × 2 models (``sim/base``, ``sim/study``, judged by
``sim/base``), with no rate limit. Printed: keys per second, client CPU per key (the runner's own
overhead: the simulator answers in microseconds), and peak RSS; then the ratio of peak RSS at the
large size to the small one, which stays near 1 because work is produced lazily.

    python bench/align_throughput.py
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SIZES = (16, 160)
"""Dataset items per case: 512 and 5,120 keys."""


def write_dataset(path: Path, items: int) -> Path:
    from tutorloop.align import bundled_align_dataset

    lines = [json.loads(x) for x in bundled_align_dataset().read_text().splitlines() if x.strip()]
    with path.open("w", encoding="utf-8") as handle:
        for i in range(items):
            item = dict(lines[i % len(lines)])
            item["id"] = f"{item['id']}-{i:05d}"
            handle.write(json.dumps(item, ensure_ascii=False) + "\n")
    return path


def child(items: int, work: str) -> dict[str, float]:
    from tutorloop.align import AlignConfig, run_align
    from tutorloop.generate import CallPolicy

    data = write_dataset(Path(work) / "data.jsonl", items)
    config = AlignConfig(
        dataset=data,
        models=["sim/base", "sim/study"],
        judge_model="sim/base",
        output_dir=Path(work) / "results",
        run_id="bench",
    )
    cpu, wall = time.process_time(), time.perf_counter()
    report = run_align(config, CallPolicy(concurrency=8, cache=False, max_retries=0))
    assert report.errored == 0 and report.written == report.total
    return {
        "keys": report.total,
        "wall_s": time.perf_counter() - wall,
        "cpu_s": time.process_time() - cpu,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        print(json.dumps(child(int(sys.argv[2]), sys.argv[3])))
        return
    results = []
    for items in SIZES:
        with tempfile.TemporaryDirectory() as work:
            out = subprocess.run(
                [sys.executable, __file__, "--child", str(items), work],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
        result = json.loads(out.stdout.strip().splitlines()[-1])
        results.append(result)
        print(
            f"{result['keys']:>6.0f} keys: {result['keys'] / result['wall_s']:7.1f} keys/s, "
            f"{1000 * result['cpu_s'] / result['keys']:.2f} ms CPU per key "
            f"(answer + judge + row + done-mark), peak RSS {result['peak_rss_mb']:.0f} MB"
        )
    small, large = results
    print(
        f"peak RSS at {large['keys']:.0f} keys / at {small['keys']:.0f} keys: "
        f"{large['peak_rss_mb'] / small['peak_rss_mb']:.2f}× for "
        f"{large['keys'] / small['keys']:.0f}× the keys"
    )


if __name__ == "__main__":
    main()
