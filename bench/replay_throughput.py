"""Replay throughput beside two references measured in the same run, against one local server.

The OpenAI-wire test server runs in its own process with a fixed latency. Three clients, each in
a fresh process, replay the same N single-turn sessions with C calls in flight:

* ``raw aiohttp``: 40 lines of asyncio + aiohttp posting the chat-completions body (the floor);
* ``bare SDK``: ``AsyncOpenAI().chat.completions.create`` in an asyncio loop with a semaphore of
  C, on the SDK's default transport;
* ``tutorloop``: ``replay_paths`` through ``openai/bench`` (the Model wrapper, the call ledger,
  the store and the artifact files included).

The three run interleaved, ``--repeats`` times, and each figure is the median. Printed: the
request phase's wall time as % of the ideal ``N × latency / C`` (at 200 ms), client CPU per item
(process CPU time, far less sensitive to a busy machine than wall time), the server's peak of
requests in flight, and tutorloop's ratios to both references. Last, tutorloop's peak RSS at
N=20 against N=10,000 (aim: within 10 %).

Stores and artifact files go under ``bench/out/`` (``--work-dir``), where a project's would:
creating a file costs several times more CPU in this machine's ``/tmp`` than in the work tree.

    python bench/replay_throughput.py                 # 3 repeats
    python bench/replay_throughput.py --repeats 5 --n-cpu 10000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KINDS = ("raw", "sdk", "tutorloop")
LABELS = {"raw": "raw aiohttp", "sdk": "bare SDK", "tutorloop": "tutorloop"}
AIM_PCT_OF_IDEAL = 85.0
AIM_CPU_MS = 1.2


def write_sessions(path: Path, n: int) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        for i in range(n):
            turn = {"role": "user", "content": f"question {i}: what is {i} + {i}?"}
            handle.write(
                json.dumps({"session_id": f"b{i}", "domain": "math", "trajectory": [turn]})
            )
            handle.write("\n")
    return path


def prompts(data: str) -> list[str]:
    with open(data, encoding="utf-8") as handle:
        return [json.loads(line)["trajectory"][0]["content"] for line in handle]


def child_tutorloop(data: str, url: str, concurrency: int, work: str) -> dict[str, float]:
    import tutorloop.generate.providers.openai  # noqa: F401  (imported before the clock, as openai is for the SDK loop)
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

    texts = prompts(data)

    async def main() -> int:
        client = openai.AsyncOpenAI(base_url=url, max_retries=0)
        gate = asyncio.Semaphore(concurrency)

        async def one(text: str) -> None:
            async with gate:
                await client.chat.completions.create(
                    model="bench", messages=[{"role": "user", "content": text}]
                )

        await asyncio.gather(*(one(p) for p in texts))
        await client.close()
        return len(texts)

    cpu, wall = time.process_time(), time.perf_counter()
    items = asyncio.run(main())
    return {"items": items, "phase_s": time.perf_counter() - wall,
            "phase_cpu_s": time.process_time() - cpu}  # fmt: skip


def child_raw(data: str, url: str, concurrency: int, work: str) -> dict[str, float]:
    import asyncio

    import aiohttp

    texts = prompts(data)
    headers = {"Authorization": f"Bearer {os.environ['OPENAI_API_KEY']}",
               "Content-Type": "application/json"}  # fmt: skip

    async def main() -> int:
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=connector) as session:
            gate = asyncio.Semaphore(concurrency)

            async def one(text: str) -> None:
                body = {"model": "bench", "messages": [{"role": "user", "content": text}]}
                async with gate, session.post(f"{url}/chat/completions", json=body,
                                              headers=headers) as reply:  # fmt: skip
                    assert reply.status == 200
                    await reply.json()

            await asyncio.gather(*(one(p) for p in texts))
        return len(texts)

    cpu, wall = time.process_time(), time.perf_counter()
    items = asyncio.run(main())
    return {"items": items, "phase_s": time.perf_counter() - wall,
            "phase_cpu_s": time.process_time() - cpu}  # fmt: skip


CHILDREN = {"raw": child_raw, "sdk": child_sdk, "tutorloop": child_tutorloop}


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
        self.root = self.url.rsplit("/v1", 1)[0]

    def reset(self) -> None:
        urllib.request.urlopen(urllib.request.Request(f"{self.root}/_reset", method="POST"))

    def peak_in_flight(self) -> int:
        with urllib.request.urlopen(f"{self.root}/_stats") as reply:
            return int(json.loads(reply.read())["peak_in_flight"])

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def run_child(
    kind: str, data: Path, server: Server, concurrency: int, tmp: Path
) -> dict[str, float]:
    work = Path(tempfile.mkdtemp(dir=tmp))
    env = {**os.environ, "OPENAI_API_KEY": "sk-bench-local"}
    server.reset()
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(data), server.url, str(concurrency),
         str(work)],
        check=True, capture_output=True, text=True, env=env, cwd=ROOT,
    ).stdout  # fmt: skip
    result = dict(json.loads(out.splitlines()[-1]))
    result["process_s"] = time.perf_counter() - start
    result["peak_in_flight"] = server.peak_in_flight()
    result["cpu_ms"] = 1000 * result["phase_cpu_s"] / result["items"]
    return result


def median(results: list[dict[str, float]], name: str) -> float:
    return statistics.median(r[name] for r in results)


def measure_case(
    n: int, latency_ms: int, concurrency: int, repeats: int, tmp: Path
) -> dict[str, dict[str, float]]:
    """Median figures of each client over ``repeats`` interleaved rounds."""
    server = Server(latency_ms)
    try:
        data = write_sessions(tmp / f"s{n}.jsonl", n)
        runs: dict[str, list[dict[str, float]]] = {kind: [] for kind in KINDS}
        for round_ in range(repeats):
            order = KINDS[round_ % 3 :] + KINDS[: round_ % 3]  # nobody always goes first
            for kind in order:
                runs[kind].append(run_child(kind, data, server, concurrency, tmp))
    finally:
        server.close()
    names = ("phase_s", "process_s", "cpu_ms", "peak_in_flight", "peak_rss_mib")
    return {kind: {name: median(results, name) for name in names} for kind, results in runs.items()}


def print_case(
    n: int, latency_ms: int, concurrency: int, figures: dict[str, dict[str, float]]
) -> None:
    ideal = n * latency_ms / 1000 / concurrency
    head = f"N={n:,} latency={latency_ms} ms C={concurrency}"
    print(head + (f" (ideal {ideal:.2f} s)" if ideal else "") + ": medians", flush=True)
    for kind in KINDS:
        f = figures[kind]
        if ideal:
            timing = (
                f"request phase {f['phase_s']:6.2f} s = {100 * ideal / f['phase_s']:5.1f}% of ideal"
            )
        else:
            timing = f"request phase {f['phase_s']:6.2f} s ({n / f['phase_s']:7,.0f} items/s)"
        print(f"  {LABELS[kind]:12} {timing}; {f['cpu_ms']:5.2f} ms CPU/item; peak in flight "
              f"{f['peak_in_flight']:4.0f}; peak RSS {f['peak_rss_mib']:6.1f} MiB")  # fmt: skip
    ours = figures["tutorloop"]
    for ref in ("raw", "sdk"):
        other = figures[ref]
        wall, cpu = ours["phase_s"] / other["phase_s"], ours["cpu_ms"] / other["cpu_ms"]
        print(f"  tutorloop / {LABELS[ref]:12}: request phase {wall:5.2f}x wall, "
              f"{cpu:5.2f}x CPU per item")  # fmt: skip
    if ideal:
        pct = 100 * ideal / ours["phase_s"]
        print(f"  aim: tutorloop ≥ {AIM_PCT_OF_IDEAL:.0f}% of ideal: {pct:.1f}% "
              f"({'met' if pct >= AIM_PCT_OF_IDEAL else 'NOT met'}); "
              f"peak in flight {ours['peak_in_flight']:.0f} of {concurrency}")  # fmt: skip
    else:
        cpu = ours["cpu_ms"]
        print(f"  aim: tutorloop ≤ {AIM_CPU_MS} ms CPU/item: {cpu:.2f} ms "
              f"({'met' if cpu <= AIM_CPU_MS else 'NOT met'}); faster than the bare SDK: "
              f"{'yes' if ours['phase_s'] < figures['sdk']['phase_s'] else 'NO'}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs=5, help="internal")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--n-latency", type=int, default=2000, help="items at 200 ms")
    parser.add_argument("--n-cpu", type=int, default=5000, help="items at 0 ms")
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--work-dir", type=Path, default=ROOT / "bench" / "out")
    args = parser.parse_args()
    if args.child:
        kind, data, url, concurrency, work = args.child
        result = CHILDREN[kind](data, url, int(concurrency), work)
        result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
        return

    c = args.concurrency
    args.work_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=args.work_dir) as name:
        tmp = Path(name)
        for n, latency_ms in ((args.n_latency, 200), (args.n_cpu, 0)):
            print_case(n, latency_ms, c, measure_case(n, latency_ms, c, args.repeats, tmp))
        server = Server(0)
        try:
            rss = {}
            for n in (20, 10_000):
                data = write_sessions(tmp / f"rss{n}.jsonl", n)
                rss[n] = run_child("tutorloop", data, server, c, tmp)["peak_rss_mib"]
        finally:
            server.close()
    print(f"tutorloop peak RSS: N=20 {rss[20]:.1f} MiB, N=10,000 {rss[10_000]:.1f} MiB "
          f"({rss[10_000] / rss[20]:.2f}x; aim ≤ 1.10x)")  # fmt: skip


if __name__ == "__main__":
    main()
