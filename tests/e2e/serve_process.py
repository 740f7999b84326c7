"""Starting ``tutorloop serve`` as a real process for the end-to-end tests."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx2 as httpx

from tests.openai_wire.runner import bind_socket


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on now."""
    sock = bind_socket()
    port = int(sock.getsockname()[1])
    sock.close()
    return port


def start_service(
    tmp_path: Path, port: int, env: dict[str, str], log: str
) -> subprocess.Popen[bytes]:
    """``tutorloop serve`` on ``port`` with ``tmp_path``'s store and config, once it is ready."""
    store, config = tmp_path / "tutorloop.db", tmp_path / "serve.yaml"
    command = [sys.executable, "-m", "tutorloop", "serve", "--port", str(port),
               "--store", str(store), "--config", str(config)]  # fmt: skip
    with (tmp_path / log).open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        assert process.poll() is None, (tmp_path / log).read_text()
        time.sleep(0.1)
    process.kill()
    raise AssertionError("the service did not become ready")
