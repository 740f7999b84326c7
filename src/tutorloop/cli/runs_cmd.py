"""``tutorloop runs``, ``export`` and ``schema``: stored runs, their files, the record schemas."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from tutorloop.cli.common import StoreOpt, print_json
from tutorloop.cli.grade_cmd import export_files
from tutorloop.errors import UserError
from tutorloop.project import config_schema
from tutorloop.records import RECORDS, json_schema
from tutorloop.store import EXPORT_FORMATS, Store


def register(app: typer.Typer, console: Console, err: Console) -> None:
    """Add ``export``, ``schema`` and ``runs`` to ``app``."""

    @app.command()
    def export(
        run_id: Annotated[str, typer.Argument(help="The run to export.")],
        out: Annotated[Path, typer.Option("--out", help="Folder for the files.")] = Path("."),
        formats: Annotated[
            str, typer.Option("--format", help=f"Comma-separated: {', '.join(EXPORT_FORMATS)}.")
        ] = ",".join(EXPORT_FORMATS),
        store: StoreOpt = None,
    ) -> None:
        """Export a stored run to JSONL, Parquet and CSV."""
        chosen = [f.strip() for f in formats.split(",") if f.strip()]
        written = export_files(run_id, store, out, chosen)
        for kind, path in written.items():
            console.print(f"{kind:8} {path}")

    @app.command()
    def schema(
        name: Annotated[
            str | None,
            typer.Argument(help=f"One of: {', '.join(sorted([*RECORDS, 'config']))}."),
        ] = None,
    ) -> None:
        """Print the JSON Schema of a record (list the records without a name).

        ``config`` is the project config file, ``tutorloop.yaml``: save it beside the file and
        name it on the file's first line (``# yaml-language-server: $schema=...``) for editor
        completion and validation.
        """
        if name is None:
            for record in sorted([*RECORDS, "config"]):
                console.print(record)
            return
        if name == "config":
            print_json(config_schema())
            return
        try:
            print_json(json_schema(name))
        except KeyError as exc:
            raise UserError(str(exc.args[0])) from None

    @app.command()
    def runs(store: StoreOpt = None) -> None:
        """List stored runs, newest first."""
        with Store.open(store) as opened:
            for manifest in opened.list_runs():
                c = manifest.counts
                console.print(
                    f"{manifest.run_id}  {manifest.kind:6} {manifest.status:10} "
                    f"{c.done} done, {c.errored} errored, {c.escalated} escalated"
                )
