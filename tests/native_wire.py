"""What the Anthropic and Gemini wire fakes share: a scripted state and a uvicorn thread.

Each fake (``tests/anthropic_wire``, ``tests/google_wire``) is a FastAPI app speaking its
vendor's HTTP protocol from a :class:`WireState`: replies and faults are consumed in order
(``push``), every request is recorded with its headers (``requests``), and a call without the
right key is refused as the vendor refuses it. :class:`ThreadedServer` runs such an app on
127.0.0.1 in a background thread, as ``tests/openai_wire`` does.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

import uvicorn

from tests.openai_wire.runner import bind_socket


@dataclass
class Fault:
    """An error reply (``status``, with ``retry_after`` seconds if set) or a delay."""

    status: int = 500
    retry_after: float | None = None
    delay_s: float = 0.0
    """Sleep this long, then answer with the next script item (``status`` ignored)."""

    @classmethod
    def rate_limit(cls, retry_after: float) -> Fault:
        """A 429 with ``Retry-After``."""
        return cls(429, retry_after)

    @classmethod
    def server_error(cls, status: int = 500) -> Fault:
        """A 5xx."""
        return cls(status)

    @classmethod
    def delay(cls, seconds: float) -> Fault:
        """A slow answer."""
        return cls(0, delay_s=seconds)


@dataclass
class Recorded:
    """One request the fake received."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    at: float


@dataclass
class WireState:
    """The script a fake serves from, and what it received."""

    key: str
    script: deque[str | dict[str, Any] | Fault] = field(default_factory=deque)
    requests: list[Recorded] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def push(self, *items: str | dict[str, Any] | Fault) -> None:
        """Queue replies (text, or a JSON object for structured output) and faults."""
        with self.lock:
            self.script.extend(items)

    def next(self) -> str | dict[str, Any] | Fault | None:
        """The next script item (None: answer with a default text)."""
        with self.lock:
            return self.script.popleft() if self.script else None

    def record(self, path: str, headers: dict[str, str], body: dict[str, Any]) -> None:
        """Keep one request."""
        with self.lock:
            self.requests.append(Recorded(path, headers, body, time.monotonic()))

    def reset(self) -> None:
        """Forget the script and the requests."""
        with self.lock:
            self.script.clear()
            self.requests.clear()


def words(text: str) -> int:
    """The fakes count tokens as whitespace-separated words."""
    return len(text.split())


class ThreadedServer:
    """An ASGI app served by uvicorn on 127.0.0.1 in a daemon thread."""

    def __init__(self, app_factory: Callable[[WireState], Any], state: WireState) -> None:
        self.state = state
        self._app = app_factory(state)
        self.port = 0
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Self:
        """Serve, and wait (at most 20 s) until the socket accepts requests."""
        sock = bind_socket()
        self.port = int(sock.getsockname()[1])
        config = uvicorn.Config(
            self._app,
            loop="asyncio",
            http="h11",
            ws="none",
            lifespan="off",
            access_log=False,
            log_level="warning",
            log_config=None,
        )
        server = uvicorn.Server(config)
        self._server = server
        self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, daemon=True, name=f"wire:{self.port}"
        )
        self._thread.start()
        deadline = time.monotonic() + 20.0
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the wire fake did not start on {self.url}")
            time.sleep(0.01)
        self._socket = sock
        return self

    def stop(self) -> None:
        """Ask uvicorn to exit and wait for the thread."""
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10.0)
            self._socket.close()
        self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
