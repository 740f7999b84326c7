"""Load on ``tutorloop serve``: ``POST /v1/grade`` from 64 concurrent clients on 127.0.0.1.

Starts the service as a child process (its own temporary store), sends N requests (default
5,000), one synthetic 16-turn session each, from C concurrent clients (default 64, aiohttp), and
stops by itself; one more client probes ``/healthz`` every 20 ms meanwhile. Prints requests/s,
p50/p99 latency, ``/healthz`` p99 under the load, the count of non-2xx answers (must be 0), the
ratio of the service's throughput to grading the same sessions in-process (parse + grade), and the
service's CPU per request against in-process CPU per session (steadier than wall time on a
shared machine).

    python bench/serve_load.py
    python bench/serve_load.py --requests 2000 --clients 32
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("the service exited before it was ready")
        try:
            with urllib.request.urlopen(f"{url}/readyz", timeout=1) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("the service did not become ready")


async def _load(
    url: str, bodies: list[bytes], clients: int, token: str
) -> tuple[list[float], int, float]:
    import aiohttp

    latencies: list[float] = []
    health.clear()
    bad = 0
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    connector = aiohttp.TCPConnector(limit=clients + 1)
    headers = {"content-type": "application/json", "authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession(connector=connector) as session:

        async def client() -> None:
            nonlocal bad
            while not queue.empty():
                body = queue.get_nowait()
                started = time.perf_counter()
                async with session.post(f"{url}/v1/grade", data=body, headers=headers) as reply:
                    await reply.read()
                    if not 200 <= reply.status < 300:
                        bad += 1
                latencies.append(time.perf_counter() - started)

        async def probe() -> None:
            """``/healthz`` every 20 ms while the load runs (liveness must stay prompt)."""
            while not queue.empty():
                started = time.perf_counter()
                async with session.get(f"{url}/healthz") as reply:
                    await reply.read()
                health.append(time.perf_counter() - started)
                await asyncio.sleep(0.02)

        wall = time.perf_counter()
        async with asyncio.TaskGroup() as group:
            for _ in range(clients):
                group.create_task(client())
            group.create_task(probe())
        wall = time.perf_counter() - wall
    return latencies, bad, wall


health: list[float] = []
"""Latencies of the ``/healthz`` probes made during the last load."""


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU of a process so far (Linux ``/proc``; None elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _in_process(sessions: list[dict[str, Any]]) -> tuple[float, float]:
    from tutorloop import Session, SessionGrader
    from tutorloop.load import items_of

    grader = SessionGrader()
    started, cpu = time.perf_counter(), time.process_time()
    for data in sessions:
        for item in items_of(Session.model_validate(data), "bench"):
            grader.grade(item).model_dump_json(exclude_none=True)
    wall = time.perf_counter() - started
    return len(sessions) / wall, (time.process_time() - cpu) / len(sessions)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--clients", type=int, default=64)
    args = parser.parse_args()

    from tutorloop.bundled import synthetic_session

    sessions = [synthetic_session(i) for i in range(args.requests)]
    bodies = [json.dumps(s).encode("utf-8") for s in sessions]
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        token = secrets.token_urlsafe(16)  # the service asks for a bearer token
        env = {**os.environ, "TUTORLOOP_API_TOKEN": token}
        command = [sys.executable, "-m", "tutorloop", "serve", "--port", str(port),
                   "--store", str(Path(tmp) / "tutorloop.db")]  # fmt: skip
        config = Path(tmp) / "serve.yaml"
        # the load's clients and the /healthz probe, each on its own keep-alive connection
        config.write_text(
            f"access_log: false\nmax_connections: {args.clients + 1}\n", encoding="utf-8"
        )
        command += ["--config", str(config)]
        process = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
        try:
            _wait_ready(url, process)
            asyncio.run(_load(url, bodies[: min(200, len(bodies))], args.clients, token))  # warm
            before = _cpu_seconds(process.pid)
            latencies, bad, wall = asyncio.run(_load(url, bodies, args.clients, token))
            after = _cpu_seconds(process.pid)
        finally:
            process.terminate()
            process.wait(timeout=30)
    latencies.sort()
    rps = len(latencies) / wall
    local, local_cpu = _in_process(sessions)
    served_cpu = None if before is None or after is None else (after - before) / len(latencies)
    print(f"requests        {len(latencies)} from {args.clients} concurrent clients")
    print(f"throughput      {rps:,.0f} requests/s")
    print(f"latency p50     {1000 * latencies[len(latencies) // 2]:.1f} ms")
    print(f"latency p99     {1000 * latencies[int(len(latencies) * 0.99) - 1]:.1f} ms")
    print(f"non-2xx         {bad}")
    if health:
        health.sort()
        p99 = health[max(0, int(len(health) * 0.99) - 1)]
        print(f"/healthz p99    {1000 * p99:.1f} ms over {len(health)} probes during the load "
              f"({p99 / 0.050:.2f}x the 50 ms aim)")  # fmt: skip
    print(f"in-process      {local:,.0f} sessions/s (parse + grade, one thread)")
    print(f"ratio           {rps / local:.2f} (service requests/s ÷ in-process sessions/s)")
    if served_cpu is not None:
        print(f"CPU per request {1e6 * served_cpu:,.0f} µs in the service, "
              f"{1e6 * local_cpu:,.0f} µs per session in-process "
              f"(ratio {local_cpu / served_cpu:.2f})")  # fmt: skip
    if bad:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
