"""Serve the app with uvicorn: a token always, bounded connections, no secrets in the logs.

Without ``$TUTORLOOP_API_TOKEN`` the service generates a strong token and prints it once to
the console (stderr, never the log). uvicorn (``httptools`` on ``uvloop``) bounds the
connections served at once (``max_connections``; more get 503), closes idle keep-alive
connections (``keep_alive_s``) and connections whose request head is late
(``head_timeout_s``), and caps head sizes (431); the guard bounds bodies in size and time. On
SIGTERM or SIGINT uvicorn stops accepting connections and gives in-flight requests up to
``graceful_shutdown_s`` seconds; then the lifespan cancels background runs, which keep their
status in the store and resume at the next start. Access logs carry the method, the path
without its query string, and the status: never a header, so never the token.
"""

from __future__ import annotations

import logging
import sys
from typing import Any, TextIO

from tutorloop.serve.config import TOKEN_ENV, ServeConfig, generate_token
from tutorloop.serve.protocol import HEAD_LIMIT_BYTES, guarded_httptools

__all__ = ["QueryStripper", "announce_token", "serve", "server_bounds"]


class QueryStripper(logging.Filter):
    """Drops the query string from uvicorn's access-log lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's path argument; always keep the record."""
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], args[2].split("?", 1)[0], *args[3:])
        return True


def announce_token(config: ServeConfig, token: str, out: TextIO | None = None) -> None:
    """Print a generated token once, with how to connect and how to choose one."""
    out = out or sys.stderr
    host = "127.0.0.1" if config.host in ("0.0.0.0", "::") else config.host
    out.write(
        "\n    No TUTORLOOP_API_TOKEN was set, so the service made one for this run.\n"
        "    Clients send it in a header (never in a URL):\n\n"
        f"        Authorization: Bearer {token}\n\n"
        f"    e.g. curl -H 'Authorization: Bearer {token}' http://{host}:{config.port}/v1/datasets\n"
        f"    To keep a token across restarts, set {TOKEN_ENV} before starting.\n\n"
    )
    out.flush()


def server_bounds(config: ServeConfig) -> dict[str, Any]:
    """The ``uvicorn.Config`` arguments that bound connections, heads and keep-alive."""
    return {
        # a request on one connection more than ``max_connections`` is answered 503
        "http": guarded_httptools(
            config.head_timeout_s, HEAD_LIMIT_BYTES, max_connections=config.max_connections
        ),
        "limit_max_requests": config.max_requests,
        "timeout_keep_alive": max(1, int(config.keep_alive_s)),
    }


def serve(config: ServeConfig) -> None:
    """Run the service until it is told to stop (blocking).

    Raises:
        ConfigError: a non-loopback ``host`` with a weak ``$TUTORLOOP_API_TOKEN``.
    """
    import uvicorn

    from tutorloop.serve.app import create_app

    config.check_bind()
    token = config.token()
    if token is None:
        token = generate_token()
        announce_token(config, token)
    settings = uvicorn.Config(
        create_app(config, token=token),
        host=config.host,
        port=config.port,
        loop="auto",
        ws="none",
        lifespan="on",
        access_log=config.access_log,
        server_header=False,
        timeout_graceful_shutdown=config.graceful_shutdown_s,
        **server_bounds(config),
    )
    logging.getLogger("uvicorn.access").addFilter(QueryStripper())  # after uvicorn's log config
    uvicorn.Server(settings).run()
