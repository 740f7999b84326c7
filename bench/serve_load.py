"""Load on ``tutorloop serve``: ``POST /v1/grade`` from 64 concurrent clients on 127.0.0.1.

Starts the service as a child process (its own temporary store) and grades N synthetic 16-turn
sessions (default 5,000) twice, from C concurrent clients (default 64, aiohttp): one session
per request, then batches of ``--batch`` sessions (``{"sessions": [...]}``); one more client
probes ``/healthz`` every 20 ms meanwhile. Prints for each load requests/s and sessions/s,
p50/p99 latency, ``/healthz`` p99 under the load, the count of non-2xx answers (must be 0), and
the service's CPU per session (its process and its grading processes, the HTTP stack included)
against in-process CPU per session (parse + grade + encode, the same sessions, one thread): the
per-core ratio, steadier than wall time on a shared machine.

    python bench/serve_load.py
    python bench/serve_load.py --requests 2000 --clients 32
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from local_service import free_port, wait_ready


async def _load(
    url: str, bodies: list[bytes], clients: int, token: str
) -> tuple[list[float], int, float]:
    import aiohttp

    latencies: list[float] = []
    health.clear()
    statuses.clear()
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
                        statuses[reply.status] = statuses.get(reply.status, 0) + 1
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


statuses: dict[int, int] = {}
"""Counts of the non-2xx answers, by status."""

health: list[float] = []
"""Latencies of the ``/healthz`` probes made during the last load."""


def _cpu_seconds(pid: int) -> tuple[float, float] | None:
    """User + system CPU so far of a process, and of its children live or reaped (Linux ``/proc``).

    The service grades in processes of its own: their CPU counts as the service's. A child
    still running is read from its own ``stat``; one already waited for is in the parent's
    children totals. None where there is no ``/proc``.
    """
    fields = _stat(pid)
    if fields is None:
        return None
    own = int(fields[11]) + int(fields[12])  # utime, stime
    children = int(fields[13]) + int(fields[14])  # cutime, cstime: children waited for
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            child = _stat(int(entry.name))
            if child is not None and int(child[1]) == pid:  # its parent is the service
                children += int(child[11]) + int(child[12])
    tick = os.sysconf("SC_CLK_TCK")
    return own / tick, children / tick


def _stat(pid: int) -> list[str] | None:
    """The fields after the command name in ``/proc/<pid>/stat`` (state first)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def _in_process(bodies: list[bytes]) -> tuple[float, float]:
    from tutorloop import Session, SessionGrader
    from tutorloop.load import items_of

    grader = SessionGrader()
    started, cpu = time.perf_counter(), time.process_time()
    for body in bodies:
        for item in items_of(Session.model_validate(json.loads(body)), "bench"):
            grader.grade(item).model_dump_json(exclude_none=True)
    wall = time.perf_counter() - started
    return len(bodies) / wall, (time.process_time() - cpu) / len(bodies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--batch", type=int, default=32, help="sessions per batched request")
    parser.add_argument(
        "--grade-processes",
        type=int,
        default=0,
        help="the service's grading processes (0: one per core)",
    )
    args = parser.parse_args()

    from tutorloop.bundled import synthetic_session

    sessions = [synthetic_session(i) for i in range(args.requests)]
    bodies = [json.dumps(s).encode("utf-8") for s in sessions]
    batches = [
        json.dumps({"sessions": sessions[i : i + args.batch]}).encode("utf-8")
        for i in range(0, len(sessions), args.batch)
    ]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    loads: dict[
        str, tuple[list[float], int, float, tuple[float, float] | None, list[float], dict[int, int]]
    ] = {}
    with tempfile.TemporaryDirectory() as tmp:
        token = secrets.token_urlsafe(16)  # the service asks for a bearer token
        env = {**os.environ, "TUTORLOOP_API_TOKEN": token}
        command = [sys.executable, "-m", "tutorloop", "serve", "--port", str(port),
                   "--store", str(Path(tmp) / "tutorloop.db")]  # fmt: skip
        config = Path(tmp) / "serve.yaml"
        # the load's clients and the /healthz probe, each on its own keep-alive connection
        config.write_text(
            f"access_log: false\nmax_connections: {args.clients + 1}\n"
            f"grade_processes: {args.grade_processes}\n",
            encoding="utf-8",
        )
        command += ["--config", str(config)]
        process = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
        try:
            wait_ready(url, process)
            asyncio.run(_load(url, bodies[: min(200, len(bodies))], args.clients, token))  # warm
            for name, load in (("single", bodies), ("batched", batches)):
                before = _cpu_seconds(process.pid)
                latencies, bad, wall = asyncio.run(_load(url, load, args.clients, token))
                after = _cpu_seconds(process.pid)
                cpu = None
                if before is not None and after is not None:
                    cpu = (after[0] - before[0], after[1] - before[1])
                loads[name] = (latencies, bad, wall, cpu, list(health), dict(statuses))
        finally:
            process.terminate()
            process.wait(timeout=30)
    local, local_cpu = _in_process(bodies)
    print(f"in-process      {local:,.0f} sessions/s, {1e6 * local_cpu:,.0f} µs CPU per session "
          "(parse + grade + encode, one thread)")  # fmt: skip
    bad_total = 0
    for name, (latencies, bad, wall, cpu, probes, refused) in loads.items():
        per = 1 if name == "single" else args.batch
        latencies.sort()
        rate = len(sessions) / wall
        shown = "one session per request" if per == 1 else f"{per} sessions per request"
        print(f"\n{name}: {len(latencies)} requests ({shown}) from {args.clients} clients")
        print(f"  throughput    {len(latencies) / wall:,.0f} requests/s = {rate:,.0f} sessions/s "
              f"({rate / local:.2f}x in-process wall)")  # fmt: skip
        print(
            f"  latency p50   {1000 * latencies[len(latencies) // 2]:.1f} ms, "
            f"p99 {1000 * latencies[max(0, int(len(latencies) * 0.99) - 1)]:.1f} ms"
        )
        print(f"  non-2xx       {bad}" + (f" {refused}" if bad else ""))
        bad_total += bad
        if probes:
            probes.sort()
            p99 = probes[max(0, int(len(probes) * 0.99) - 1)]
            print(f"  /healthz p99  {1000 * p99:.1f} ms over {len(probes)} probes during the load "
                  f"({p99 / 0.050:.2f}x the 50 ms aim)")  # fmt: skip
        if cpu is not None:
            served = sum(cpu) / len(sessions)
            print(f"  CPU           {1e6 * served:,.0f} µs per session in the service; per core "
                  f"{local_cpu / served:.2f}x in-process (aim ≥ 0.80x)")  # fmt: skip
            print(f"                {1e6 * cpu[0] / len(sessions):,.0f} µs in the HTTP process, "
                  f"{1e6 * cpu[1] / len(sessions):,.0f} µs in the grading processes")  # fmt: skip
    if bad_total:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
