"""Serve the app with uvicorn: graceful shutdown, no secrets in the logs.

On SIGTERM or SIGINT uvicorn stops accepting connections and gives in-flight requests up to
``graceful_shutdown_s`` seconds to finish; then the lifespan cancels background runs, which keep
their status in the store and resume at the next start. Access logs carry the method, path and
status only: never a header, so never the token. uvicorn picks uvloop and httptools when they
are installed (``pip install uvicorn[standard]``), else asyncio and h11.
"""

from __future__ import annotations

from tutorloop.serve.config import ServeConfig

__all__ = ["serve"]


def serve(config: ServeConfig) -> None:
    """Run the service until it is told to stop (blocking).

    Raises:
        ConfigError: a non-loopback ``host`` without ``$TUTORLOOP_API_TOKEN``.
    """
    import uvicorn

    from tutorloop.serve.app import create_app

    config.check_bind()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(config),
            host=config.host,
            port=config.port,
            loop="auto",
            http="auto",
            ws="none",
            lifespan="on",
            access_log=config.access_log,
            server_header=False,
            timeout_graceful_shutdown=config.graceful_shutdown_s,
        )
    )
    server.run()
