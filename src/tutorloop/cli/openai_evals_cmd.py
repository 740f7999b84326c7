"""``tutorloop openai-evals import``: an eval and its run data out of OpenAI's hosted Evals.

The hosted platform went read-only on 2026-10-31 and shuts down on 2026-11-30. The definition
comes from a saved file (``--file``) or the API (``--eval-id``, with ``OPENAI_API_KEY`` and
``OPENAI_BASE_URL`` or ``--base-url``); output items from a saved file (``--items-file``) or the
API (the run ``--run-id``, else the eval's newest completed run).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from tutorloop.errors import ConfigError
from tutorloop.load import (
    ImportReport,
    fetch_definition,
    fetch_output_items,
    import_eval,
    read_definition,
    read_output_items,
)

if TYPE_CHECKING:
    from openai import OpenAI


def register(app: typer.Typer, console: Console, err: Console) -> None:
    """Add the ``openai-evals`` command group (``import``) to ``app``."""
    group = typer.Typer(
        name="openai-evals",
        help="Bring evals out of OpenAI's hosted Evals (read-only since 2026-10-31).",
        no_args_is_help=True,
    )

    @group.callback()
    def _group() -> None:
        """Move hosted OpenAI Evals definitions and run data into tutorloop."""

    @group.command("import")
    def import_(
        out: Annotated[Path, typer.Option("--out", help="Folder for the four files written.")],
        file: Annotated[
            Path | None,
            typer.Option("--file", help="A saved eval: the JSON of GET /v1/evals/{id}."),
        ] = None,
        eval_id: Annotated[
            str | None,
            typer.Option("--eval-id", help="Fetch the eval with the API (needs OPENAI_API_KEY)."),
        ] = None,
        items_file: Annotated[
            Path | None,
            typer.Option(
                "--items-file",
                help="Saved output items (JSONL, a JSON list or a list page) instead of the API.",
            ),
        ] = None,
        run_id: Annotated[
            str | None,
            typer.Option("--run-id", help="The run whose items to import (default: newest)."),
        ] = None,
        base_url: Annotated[
            str | None,
            typer.Option("--base-url", help="API base URL (default: $OPENAI_BASE_URL or OpenAI)."),
        ] = None,
        as_json: Annotated[
            bool, typer.Option("--json", help="Print machine-readable JSON instead.")
        ] = False,
    ) -> None:
        """Write eval.json, graders.yaml, dataset.jsonl and hosted_results.jsonl into --out."""
        if (file is None) == (eval_id is None):
            raise ConfigError(
                "give exactly one of --file EVAL.json or --eval-id ID", field="--file/--eval-id"
            )
        definition = read_definition(file) if file is not None else None
        with ExitStack() as stack:
            client: OpenAI | None = None
            if definition is None or (run_id is not None and items_file is None):
                client = stack.enter_context(_client(base_url))
            if definition is None:
                if client is None or eval_id is None:  # pragma: no cover - checked above
                    raise ConfigError("give --file or --eval-id", field="--file/--eval-id")
                definition = fetch_definition(eval_id, client)
            items: Iterator[dict[str, Any]] = iter(())
            if items_file is not None:
                items = read_output_items(items_file)
                if run_id is not None:
                    items = (i for i in items if i.get("run_id") == run_id)
            elif client is not None:
                items = fetch_output_items(definition.id, client, run_id)
            report = import_eval(definition, items, out)
        if as_json:
            sys.stdout.write(json.dumps(report.model_dump(mode="json"), indent=2) + "\n")
        else:
            _print_report(console, report)

    app.add_typer(group, name="openai-evals")


def _client(base_url: str | None) -> OpenAI:
    from openai import OpenAI  # the SDK loads only when a command talks to the API

    key = os.environ.get("OPENAI_API_KEY")
    if not key:
        raise ConfigError(
            "set OPENAI_API_KEY to read evals from the API, or import saved files "
            "(--file EVAL.json --items-file ITEMS.jsonl)",
            field="OPENAI_API_KEY",
        )
    url = base_url or os.environ.get("OPENAI_BASE_URL") or None
    return OpenAI(api_key=key, base_url=url, timeout=60.0, max_retries=2)


def _print_report(console: Console, report: ImportReport) -> None:
    models = len(report.model_graders)
    runs = f" from run {', '.join(report.run_ids)}" if report.run_ids else ""
    console.print(
        f"imported eval [bold]{escape(report.eval_id)}[/] ({escape(report.eval_name)}): "
        f"{len(report.graders)} grader(s), {models} calling a model; "
        f"{report.items} item(s){escape(runs)}, {report.items_with_sample} with a sample"
    )
    for kind, path in report.files.items():
        console.print(f"  [bold]{kind:15}[/] {escape(str(path))}")
    for note in report.notes:
        console.print(f"[yellow]note:[/] {escape(note)}", soft_wrap=True)
    console.print("next:", highlight=False)
    console.print(f"  {escape(report.next_command)}", soft_wrap=True, highlight=False)
