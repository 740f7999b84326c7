"""Replay throughput against a local OpenAI-wire server, beside a bare SDK loop as the floor.

The server runs in its own process with a fixed latency. For each case, two client processes:

* ``tutorloop``: ``replay_paths`` over N single-turn sessions through ``openai/bench`` (the real
  SDK over HTTP, the Model wrapper, the store, the call ledger and the artifact files);
* ``bare SDK``: an asyncio loop of N ``chat.completions.create`` calls with a semaphore of C.

Printed for both: the whole process's wall time (start-up and imports included) and the request
phase's, each as % of the ideal ``N × latency / C``; client CPU per item; peak RSS. Then peak RSS
of tutorloop at N=20 against N=10,000.

    python bench/replay_throughput.py
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASES = [(2000, 200, 100), (10_000, 0, 100)]


def write_sessions(path: Path, n: int) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        for i in range(n):
            turn = {"role": "user", "content": f"question {i}: what is {i} + {i}?"}
            handle.write(
                json.dumps({"session_id": f"b{i}", "domain": "math", "trajectory": [turn]})
            )
            handle.write("\n")
    return path


def child_tutorloop(data: str, url: str, concurrency: int, work: str) -> dict[str, float]:
    from tutorloop.generate import CallPolicy, ProviderSettings
    from tutorloop.run import ReplayConfig, RunConfig, replay_paths

    cpu, wall = time.process_time(), time.perf_counter()
    report = replay_paths(
        [data],
        ReplayConfig(model="openai/bench", conditions=["base"], out_dir=Path(work) / "artifacts"),
        CallPolicy(concurrency=concurrency, cache=False, max_retries=0),
        ProviderSettings(base_url=url),
        RunConfig(store_path=Path(work) / "store.db"),
    )
    assert report.errored == 0, report.errors[:3]
    return {"items": report.replayed, "phase_s": time.perf_counter() - wall,
            "phase_cpu_s": time.process_time() - cpu}  # fmt: skip


def child_sdk(data: str, url: str, concurrency: int, work: str) -> dict[str, float]:
    import asyncio

    import openai

    prompts = [json.loads(line)["trajectory"][0]["content"] for line in open(data)]  # noqa: SIM115

    async def main() -> int:
        client = openai.AsyncOpenAI(
            base_url=url, max_retries=0, http_client=openai.DefaultAioHttpClient()
        )
        gate = asyncio.Semaphore(concurrency)

        async def one(text: str) -> None:
            async with gate:
                await client.chat.completions.create(
                    model="bench", messages=[{"role": "user", "content": text}]
                )

        await asyncio.gather(*(one(p) for p in prompts))
        await client.close()
        return len(prompts)

    cpu, wall = time.process_time(), time.perf_counter()
    items = asyncio.run(main())
    return {"items": items, "phase_s": time.perf_counter() - wall,
            "phase_cpu_s": time.process_time() - cpu}  # fmt: skip


def run_child(kind: str, data: Path, url: str, concurrency: int, work: Path) -> dict[str, float]:
    env = {**os.environ, "OPENAI_API_KEY": "sk-bench-local"}
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(data), url, str(concurrency), str(work)],
        check=True, capture_output=True, text=True, env=env, cwd=ROOT,
    ).stdout  # fmt: skip
    result = dict(json.loads(out.splitlines()[-1]))
    result["process_s"] = time.perf_counter() - start
    return result


class Server:
    def __init__(self, latency_ms: int) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.openai_wire.runner", "--latency-ms", str(latency_ms)],
            cwd=ROOT, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        assert line.startswith("READY "), line
        self.url = line.split(" ", 1)[1]

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def report(label: str, r: dict[str, float], ideal: float) -> None:
    per_item_ms = 1000 * r["phase_cpu_s"] / r["items"]
    process, phase = r["process_s"], r["phase_s"]
    if ideal > 0:
        timing = (f"process {process:6.2f} s = {100 * ideal / process:5.1f}% of ideal, "
                  f"request phase {phase:6.2f} s = {100 * ideal / phase:5.1f}%")  # fmt: skip
    else:
        timing = (f"process {r['process_s']:6.2f} s, request phase {r['phase_s']:6.2f} s "
                  f"({r['items'] / r['phase_s']:,.0f} items/s)")  # fmt: skip
    print(f"  {label:9} {timing}; {per_item_ms:5.2f} ms CPU/item; "
          f"peak RSS {r['peak_rss_mib']:6.1f} MiB", flush=True)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs=5, help="internal")
    args = parser.parse_args()
    if args.child:
        kind, data, url, concurrency, work = args.child
        child = child_tutorloop if kind == "tutorloop" else child_sdk
        result = child(data, url, int(concurrency), work)
        result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
        return

    rss: dict[int, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n, latency_ms, concurrency in CASES:
            server = Server(latency_ms)
            try:
                data = write_sessions(Path(tmp) / f"s{n}.jsonl", n)
                ideal = n * latency_ms / 1000 / concurrency
                print(f"N={n:,} latency={latency_ms} ms C={concurrency} (ideal {ideal:.2f} s)")
                for kind in ("tutorloop", "sdk"):
                    work = Path(tempfile.mkdtemp(dir=tmp))
                    result = run_child(kind, data, server.url, concurrency, work)
                    report("tutorloop" if kind == "tutorloop" else "bare SDK", result, ideal)
                    if kind == "tutorloop":
                        rss[n] = result["peak_rss_mib"]
                if n == 10_000:
                    small = write_sessions(Path(tmp) / "s20.jsonl", 20)
                    work = Path(tempfile.mkdtemp(dir=tmp))
                    rss[20] = run_child("tutorloop", small, server.url, concurrency, work)[
                        "peak_rss_mib"
                    ]
            finally:
                server.close()
    if 20 in rss and 10_000 in rss:
        print(f"tutorloop peak RSS: N=20 {rss[20]:.1f} MiB, N=10,000 {rss[10_000]:.1f} MiB "
              f"({rss[10_000] / rss[20]:.2f}×; aim ≤ 1.10×)")  # fmt: skip


if __name__ == "__main__":
    main()
