"""Run the openai_wire app with uvicorn: in a background thread, or as a CLI process.

In-process (tests)::

    with LocalOpenAIServer() as server:
        client = AsyncOpenAI(base_url=server.base_url, api_key=server.api_key)
        server.state.push_faults(Fault.rate_limit(0.1))

Out-of-process (benchmarks)::

    python -m tests.openai_wire.runner --latency-ms 200 [--port 0]

prints exactly one line, ``READY http://127.0.0.1:PORT/v1``, once it listens, and serves
until SIGTERM or SIGINT (then exits 0). ``GET /_stats`` and ``POST /_reset`` read and clear
its counters.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from types import FrameType, TracebackType
from typing import Any, Self

import uvicorn

from .server import DEFAULT_API_KEY, ServerState, create_app

__all__ = ["LocalOpenAIServer", "bind_socket", "main", "shared_openai_server"]

_LOCALHOST = "127.0.0.1"


def bind_socket(host: str = _LOCALHOST, port: int = 0) -> socket.socket:
    """Bind a TCP socket (``port=0``: a free port) for uvicorn to listen on.

    The protocol is given explicitly (``IPPROTO_TCP``, not 0): asyncio only sets
    ``TCP_NODELAY`` on accepted sockets whose ``proto`` says TCP, and without it every
    response pays a ~40 ms Nagle / delayed-ACK stall.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except BaseException:
        sock.close()
        raise
    return sock


def _uvicorn_config(
    app: Any, *, log_level: str, log_config: Any, graceful_s: int
) -> uvicorn.Config:
    """The uvicorn settings shared by the thread runner and the CLI: lean and quiet."""
    return uvicorn.Config(
        app,
        loop="asyncio",
        http="h11",
        ws="none",
        lifespan="off",
        access_log=False,
        log_level=log_level,
        log_config=log_config,
        server_header=False,
        date_header=False,
        timeout_graceful_shutdown=graceful_s,
    )


class LocalOpenAIServer:
    """The openai_wire app served by uvicorn on ``127.0.0.1`` in a background thread.

    Use as a context manager (or call :meth:`start` / :meth:`stop`). The port is chosen by
    binding a socket first, so it is known before uvicorn starts.

    Attributes:
        state: The scripted :class:`ServerState` the app serves from.
        host: The listening address.
        port: The listening port (known once started).
    """

    def __init__(
        self,
        state: ServerState | None = None,
        *,
        host: str = _LOCALHOST,
        port: int = 0,
        startup_timeout_s: float = 10.0,
        graceful_shutdown_s: int = 1,
    ) -> None:
        self.state = state if state is not None else ServerState()
        self.host = host
        self.port = port
        self._startup_timeout_s = startup_timeout_s
        self._graceful_shutdown_s = graceful_shutdown_s
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        """The server root, e.g. ``http://127.0.0.1:PORT``."""
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The SDK ``base_url``: ``http://127.0.0.1:PORT/v1``."""
        return f"{self.url}/v1"

    @property
    def api_key(self) -> str:
        """A key the server accepts: ``state.required_key`` or :data:`DEFAULT_API_KEY`."""
        return self.state.required_key or DEFAULT_API_KEY

    @property
    def running(self) -> bool:
        """Whether the server thread is up and serving."""
        return bool(
            self._thread is not None
            and self._thread.is_alive()
            and self._server is not None
            and self._server.started
        )

    def start(self) -> Self:
        """Start serving and wait until the socket accepts requests."""
        if self._thread is not None:
            raise RuntimeError("LocalOpenAIServer is already started")
        sock = bind_socket(self.host, self.port)
        self._socket = sock
        self.port = int(sock.getsockname()[1])
        config = _uvicorn_config(
            create_app(self.state),
            log_level="warning",
            log_config=None,  # leave the test process's logging configuration alone
            graceful_s=self._graceful_shutdown_s,
        )
        server = uvicorn.Server(config)
        self._server = server
        self._thread = threading.Thread(
            target=self._run, args=(server, sock), name=f"openai-wire:{self.port}", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + self._startup_timeout_s
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(
                    f"openai_wire server did not start on {self.url}"
                ) from self._error
            time.sleep(0.005)
        return self

    def _run(self, server: uvicorn.Server, sock: socket.socket) -> None:
        try:
            server.run(sockets=[sock])
        except BaseException as exc:  # reported by start(); a thread must not raise
            self._error = exc

    def stop(self) -> None:
        """Ask uvicorn to exit, wait for the thread, and close the socket."""
        server, thread = self._server, self._thread
        if server is not None and thread is not None:
            server.should_exit = True
            thread.join(timeout=self._graceful_shutdown_s + 5.0)
            if thread.is_alive():
                server.force_exit = True
                thread.join(timeout=5.0)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"LocalOpenAIServer({self.base_url!r}, running={self.running})"


_shared_lock = threading.Lock()
_shared_server: LocalOpenAIServer | None = None
_shared_users = 0


@contextlib.contextmanager
def shared_openai_server() -> Iterator[LocalOpenAIServer]:
    """One process-wide :class:`LocalOpenAIServer`, reference-counted across users.

    The pytest fixtures use it, so importing them into several conftest files still runs a
    single server per session.
    """
    global _shared_server, _shared_users
    with _shared_lock:
        if _shared_server is None:
            _shared_server = LocalOpenAIServer().start()
        _shared_users += 1
        server = _shared_server
    try:
        yield server
    finally:
        with _shared_lock:
            _shared_users -= 1
            if _shared_users == 0:
                _shared_server = None
                server.stop()


# --------------------------------------------------------------------------- CLI


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.openai_wire.runner",
        description="Serve the openai_wire fake OpenAI API until SIGTERM/SIGINT.",
    )
    parser.add_argument("--host", default=_LOCALHOST, help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to bind (0: a free port)")
    parser.add_argument(
        "--latency-ms", type=float, default=0.0, help="sleep before each /v1 reply (ms)"
    )
    parser.add_argument("--required-key", default=None, help="accept only this bearer key")
    parser.add_argument("--log-level", default="warning", help="uvicorn log level")
    return parser.parse_args(argv)


async def _serve_until_signalled(server: uvicorn.Server, sock: socket.socket, url: str) -> None:
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started and not serving.done():
        await asyncio.sleep(0.005)
    if server.started:
        print(f"READY {url}", flush=True)
    await serving


def main(argv: Sequence[str] | None = None) -> int:
    """CLI entry point: serve in the foreground; print ``READY <base_url>`` when listening."""
    args = _parse_args(argv)
    if args.latency_ms < 0:
        print("--latency-ms must be >= 0", file=sys.stderr)
        return 2
    state = ServerState(latency_s=args.latency_ms / 1000.0, required_key=args.required_key)
    sock = bind_socket(args.host, args.port)
    port = int(sock.getsockname()[1])
    config = _uvicorn_config(
        create_app(state),
        log_level=args.log_level,
        log_config=uvicorn.config.LOGGING_CONFIG,
        graceful_s=1,
    )
    server = uvicorn.Server(config)

    # uvicorn installs its own SIGINT/SIGTERM handlers while serving and, after a graceful
    # shutdown, re-raises the signal with the handler that was installed before. Installing
    # this one first makes that re-raise harmless (exit status 0) and also covers a signal
    # that arrives before uvicorn has taken over.
    def _request_exit(signum: int, frame: FrameType | None) -> None:
        del signum, frame
        server.should_exit = True

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _request_exit)
    try:
        asyncio.run(_serve_until_signalled(server, sock, f"http://{args.host}:{port}/v1"))
    finally:
        sock.close()
    return 0 if server.started else 1


if __name__ == "__main__":
    sys.exit(main())
