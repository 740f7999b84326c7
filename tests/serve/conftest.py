"""A live ``tutorloop serve`` app on 127.0.0.1 (uvicorn in a thread); its upstream: openai_wire."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
import uvicorn

from tests.openai_wire.runner import LocalOpenAIServer, bind_socket
from tutorloop.generate import CallPolicy, ProviderSettings
from tutorloop.serve import ServeConfig, create_app
from tutorloop.serve.runner import server_bounds

TOKEN = "serve-test-token-0123456789"


class LiveService:
    """The service app served in a background thread."""

    def __init__(self, config: ServeConfig) -> None:
        self.config = config
        sock = bind_socket()
        self.app = create_app(config)
        self.token = str(self.app.state.token)
        self.port = int(sock.getsockname()[1])
        self._socket = sock
        self.server = uvicorn.Server(
            uvicorn.Config(
                self.app, lifespan="on", log_level="warning", log_config=None,
                access_log=False, timeout_graceful_shutdown=2, **server_bounds(config),
            )
        )  # fmt: skip
        self._thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]})
        self._thread.daemon = True
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "the service did not start"
            time.sleep(0.01)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def client(self, token: str | None = None, *, auth: bool = True) -> httpx.Client:
        """A client sending ``token`` (default: the service's own; ``auth=False``: none)."""
        token = token or (self.token if auth else None)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def stop(self) -> None:
        self.server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()


def sorting_responder(body: dict[str, Any]) -> str:
    """The upstream's replies: a JSON score for grader requests, ALLOW/REFUSE for the smoke."""
    top = _maximum(body)
    if top is not None:  # a score_model grader: the best score its range allows
        return json.dumps({"steps": [{"description": "read", "conclusion": "fine"}], "result": top})
    risky = ("Wi-Fi", "phishing", "explosive", "hack")
    last = ""
    for message in body.get("messages") or body.get("input") or []:
        if isinstance(message, dict) and message.get("role") == "user":
            last = str(message.get("content"))
    return "REFUSE" if any(word.lower() in last.lower() for word in risky) else "ALLOW"


def _maximum(value: Any) -> float | None:
    if isinstance(value, dict):
        result = value.get("properties", {}).get("result") if "properties" in value else None
        if isinstance(result, dict) and "maximum" in result:
            return float(result["maximum"])
        for inner in value.values():
            found = _maximum(inner)
            if found is not None:
                return found
    if isinstance(value, list):
        for inner in value:
            found = _maximum(inner)
            if found is not None:
                return found
    return None


@pytest.fixture
def make_service(
    tmp_path: Path, openai_wire: LocalOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., LiveService]]:
    """Start services (stopped at the end); keyword arguments override the config."""
    monkeypatch.setenv("OPENAI_API_KEY", openai_wire.api_key)
    monkeypatch.delenv("TUTORLOOP_API_TOKEN", raising=False)
    openai_wire.state.responder = sorting_responder
    started: list[LiveService] = []

    def make(token: str | None = None, **overrides: Any) -> LiveService:
        if token:
            monkeypatch.setenv("TUTORLOOP_API_TOKEN", token)
        fields: dict[str, Any] = {
            "store_path": tmp_path / "store" / "tutorloop.db",
            "upstream": ProviderSettings(base_url=openai_wire.base_url),
            "calls": CallPolicy(cache=False, max_retries=0, concurrency=4),
        }
        service = LiveService(ServeConfig(**(fields | overrides)))
        started.append(service)
        return service

    yield make
    for service in started:
        service.stop()


@pytest.fixture
def live(make_service: Callable[..., LiveService]) -> LiveService:
    """A service without a token."""
    return make_service()
