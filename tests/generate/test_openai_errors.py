"""The OpenAI provider says what went wrong: a refused connection is not a timeout."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator

import pytest

from tutorloop.errors import ProviderTimeout, ProviderUnavailable
from tutorloop.generate import GenerateRequest, Message, ProviderSettings
from tutorloop.generate.providers import openai as openai_provider
from tutorloop.generate.providers.openai import OpenAIProvider

REQUEST = GenerateRequest(model="openai/m", messages=(Message(role="user", content="hi"),))


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A server that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield int(server.getsockname()[1])
    stop.set()
    thread.join(timeout=10)
    for conn in held:
        conn.close()
    server.close()


async def call(port: int, timeout_s: float) -> None:
    settings = ProviderSettings(base_url=f"http://127.0.0.1:{port}/v1")
    provider = OpenAIProvider(settings, timeout_s=timeout_s)
    try:
        await provider.generate(REQUEST, "m")
    finally:
        await provider.aclose()


@pytest.fixture(params=["aiohttp", "httpx"])
def transport(request, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-key-0000")
    if request.param == "httpx":
        monkeypatch.setattr(openai_provider, "_http_client", lambda: None)
    return request.param


def test_a_refused_connection_is_reported_as_refused(transport):
    port = closed_port()
    with pytest.raises(ProviderUnavailable) as caught:
        asyncio.run(call(port, timeout_s=30))
    assert "connection refused" in caught.value.message
    assert f"127.0.0.1:{port}" in caught.value.message
    assert not isinstance(caught.value, ProviderTimeout)


def test_a_server_that_never_answers_is_a_timeout(transport, silent_server):
    with pytest.raises(ProviderTimeout) as caught:
        asyncio.run(call(silent_server, timeout_s=0.5))
    assert "timed out" in caught.value.message
