"""``tutorloop serve`` without a token: it makes one, shows it once, and never logs it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx2 as httpx
import pytest

from tests.openai_wire.runner import bind_socket

pytestmark = pytest.mark.e2e


def test_a_generated_token_is_shown_once_and_never_logged(tmp_path: Path) -> None:
    sock = bind_socket()
    port = int(sock.getsockname()[1])
    sock.close()
    env = {k: v for k, v in os.environ.items() if k != "TUTORLOOP_API_TOKEN"}
    command = [sys.executable, "-m", "tutorloop", "serve", "--port", str(port),
               "--store", str(tmp_path / "s.db")]  # fmt: skip
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, log.read_text()
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        found = re.search(r"Authorization: Bearer (\S+)", log.read_text())
        assert found, log.read_text()
        token = found.group(1)
        assert len(token) >= 40
        with httpx.Client(base_url=url, timeout=30) as client:
            assert client.get("/v1/datasets").status_code == 401
            auth = {"Authorization": f"Bearer {token}"}
            assert client.get("/v1/datasets", headers=auth).status_code == 200
            leaked = client.get(f"/v1/datasets?token={token}", headers=auth)
            assert leaked.status_code == 400
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    text = log.read_text()
    assert text.count(token) == 2  # the banner's header line and its curl example, nothing else
    assert "/v1/datasets" in text and "?token" not in text
