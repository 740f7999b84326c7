"""``tutorloop serve``: the HTTP service (tutorloop's API, the POC routes, OpenAI Evals)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from tutorloop.errors import TutorloopError


def register(app: typer.Typer, console: Console, err: Console) -> None:
    """Add the ``serve`` command to ``app``."""

    @app.command("serve")
    def serve_command(
        host: Annotated[
            str | None, typer.Option("--host", help="Address to bind (default 127.0.0.1).")
        ] = None,
        port: Annotated[int | None, typer.Option("--port", help="Port (default 8080).")] = None,
        store: Annotated[
            Path | None,
            typer.Option(
                "--store", help="SQLite store file (default: $TUTORLOOP_HOME or ./.tutorloop/)."
            ),
        ] = None,
        config: Annotated[
            Path | None, typer.Option("--config", help="YAML service config (ServeConfig).")
        ] = None,
        base_url: Annotated[
            str | None,
            typer.Option(
                "--base-url", help="Upstream for sampled runs (default $OPENAI_BASE_URL)."
            ),
        ] = None,
        api: Annotated[
            str | None, typer.Option("--api", help="Upstream API: chat or responses.")
        ] = None,
        grader_model: Annotated[
            str | None,
            typer.Option("--grader-model", help="Model for every model grader, e.g. sim/study."),
        ] = None,
        max_body_bytes: Annotated[
            int | None, typer.Option("--max-body-bytes", help="Larger bodies get 413.")
        ] = None,
    ) -> None:
        """Serve evals over HTTP behind a bearer token (TUTORLOOP_API_TOKEN, or a generated one)."""
        from tutorloop.serve import ServeConfig, load_serve_config, serve

        try:
            settings = load_serve_config(config) if config else ServeConfig()
            upstream: dict[str, object] = {}
            if base_url is not None:
                upstream["base_url"] = base_url
            if api is not None:
                upstream["api"] = api
            given = {
                "host": host,
                "port": port,
                "store_path": store,
                "grader_model": grader_model,
                "max_body_bytes": max_body_bytes,
            }
            update: dict[str, object] = {k: v for k, v in given.items() if v is not None}
            if upstream:
                update["upstream"] = settings.upstream.model_copy(update=upstream)
            settings = ServeConfig.model_validate(settings.model_dump() | update)
            settings.check_bind()
        except TutorloopError as exc:
            err.print(f"[red]error:[/] {exc.message}")
            raise typer.Exit(2) from None
        except ValueError as exc:
            err.print(f"[red]error:[/] {exc}")
            raise typer.Exit(2) from None
        source = "from TUTORLOOP_API_TOKEN" if settings.token() else "generated, shown below"
        err.print(f"tutorloop serve on http://{settings.host}:{settings.port} (token {source})")
        serve(settings)
