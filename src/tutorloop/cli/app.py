"""The ``tutorloop`` command: a thin Typer layer over the Python API, quick to start.

Each command lives in a module of its own with a ``register(app, console, err)`` function. The
root group imports a command's module only when that command runs (or shows its own help), so
``tutorloop --help`` and ``tutorloop --version`` import none of the stages: the table below gives
each command's module and the one-line help the root lists (a test keeps both in step with the
commands' docstrings).
"""

from __future__ import annotations

import importlib
import sys
from typing import Annotated, Any, NamedTuple

import typer
from rich.markup import escape
from typer.core import TyperCommand, TyperGroup

from tutorloop._version import __version__
from tutorloop.cli.common import console, err
from tutorloop.errors import ConfigError, TutorloopError

__all__ = ["COMMANDS", "app", "console", "err", "main"]


class Entry(NamedTuple):
    """Where a command lives and how ``tutorloop --help`` lists it."""

    module: str
    """The module under ``tutorloop.cli`` whose ``register`` adds the command."""
    help: str
    """The first paragraph of the command's help."""
    panel: str
    """The panel of ``tutorloop --help`` that lists it."""


_RUN = "Evaluate"
_RELEASE = "Release"
_LABELS = "Labels and learned graders"
_MORE = "Service, monitoring, alignment, hosted Evals, Ray"

COMMANDS: dict[str, Entry] = {
    "demo": Entry(
        "demo",
        "Replay and grade the bundled sessions offline: human vs base vs overlay (no key).",
        _RUN,
    ),
    "validate": Entry(
        "grade_cmd",
        "Check inputs without grading: every problem of every file in one pass (exit 1 if any).",
        _RUN,
    ),
    "import": Entry(
        "import_cmd",
        "Convert logs (OpenAI chat/Responses, Langfuse, LangSmith, OTel, CSV) to sessions JSONL.",
        _RUN,
    ),
    "replay": Entry(
        "replay_cmd",
        "Replay sessions through a model (base, overlay) beside the logged tutor (human).",
        _RUN,
    ),
    "grade": Entry(
        "grade_cmd",
        "Grade sessions: heuristics first, then the judge where unsure, then any graders.",
        _RUN,
    ),
    "compare": Entry(
        "decide_cmd", "Compare two runs, or two conditions of one run, on the same sessions.", _RUN
    ),
    "report": Entry(
        "report_cmd",
        "Write an HTML report: gates, check rates, charts, A/B deltas and the review queue.",
        _RUN,
    ),
    "oaieval": Entry(
        "oaieval_cmd",
        "Run an openai/evals registry eval by name against a model; print its final report.",
        _RUN,
    ),
    "runs": Entry("runs_cmd", "List stored runs, newest first.", _RUN),
    "export": Entry("runs_cmd", "Export a stored run to JSONL, Parquet and CSV.", _RUN),
    "schema": Entry(
        "runs_cmd", "Print the JSON Schema of a record (list the records without a name).", _RUN
    ),
    "cache": Entry("cache_cmd", "The response cache.", _RUN),
    "gate": Entry(
        "decide_cmd",
        "Evaluate release gates on a run and write them to a PULSE status.json.",
        _RELEASE,
    ),
    "check-gates": Entry(
        "gates_cmd",
        "Fail closed unless every required gate is literal true (PULSE check_gates.py).",
        _RELEASE,
    ),
    "smoke": Entry("smoke_cmd", "Smoke tests that patch a PULSE status.json.", _RELEASE),
    "labels": Entry("labels_cmd", "Human labels.", _LABELS),
    "agreement": Entry(
        "labels_cmd", "Agreement of each grader version with people, per dimension.", _LABELS
    ),
    "calibrate": Entry(
        "cost_cmd",
        "Pick each grader's threshold: best agreement with people, or least expected cost.",
        _LABELS,
    ),
    "cost": Entry(
        "cost_cmd",
        "Dollars per period of each grader's or policy's errors, and the cheapest policy.",
        _LABELS,
    ),
    "next": Entry(
        "cost_cmd",
        "Rank unlabelled items by disagreement and nearness to a threshold; write a file.",
        _LABELS,
    ),
    "learn": Entry("learn_cmd", "Learned graders.", _LABELS),
    "watch": Entry(
        "watch_cmd",
        "Follow a folder and grade every session that lands there, with drift and alerts.",
        _MORE,
    ),
    "monitor": Entry(
        "watch_cmd",
        "Print the watch windows, drift of each metric against the baseline, and the alerts.",
        _MORE,
    ),
    "serve": Entry(
        "serve_cmd",
        "Serve evals over HTTP behind a bearer token (TUTORLOOP_API_TOKEN, or a generated one).",
        _MORE,
    ),
    "align": Entry(
        "align_cmd",
        "Alignment benchmark: models × personas × adversarial tests, with a JSON judge.",
        _MORE,
    ),
    "openai-evals": Entry(
        "openai_evals_cmd",
        "Bring evals out of OpenAI's hosted Evals (read-only since 2026-10-31).",
        _MORE,
    ),
    "import-results": Entry(
        "ray_cmd",
        "Store a Ray run's Parquet results (again: rows already stored are kept, not doubled).",
        _MORE,
    ),
}
"""Every command: its module, its help line and its panel, in the order ``--help`` lists them."""


class _Pending(TyperCommand):
    """A command whose module is not imported yet: only what the root's help lists."""

    def __init__(self, name: str, entry: Entry) -> None:
        super().__init__(name, help=entry.help, rich_help_panel=entry.panel)
        self.module = entry.module


def load_commands(module: str) -> dict[str, Any]:
    """Import ``tutorloop.cli.<module>`` and build the commands its ``register`` adds."""
    holder = typer.Typer()
    importlib.import_module(f"tutorloop.cli.{module}").register(holder, console, err)
    commands: dict[str, Any] = dict(typer.main.get_group(holder).commands)
    for name, command in commands.items():  # the root's help panels, for a loaded command too
        if name in COMMANDS:
            command.rich_help_panel = COMMANDS[name].panel
    return commands


class _LazyGroup(TyperGroup):
    """The root group: every command is listed at once, its module imported when it is used."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._listing = False
        given = dict(self.commands)
        self.commands = {name: _Pending(name, entry) for name, entry in COMMANDS.items()}
        self.commands.update(given)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        """The command ``cmd_name``, its module imported first (unless only listing help)."""
        command = self.commands.get(cmd_name)
        if isinstance(command, _Pending) and not self._listing:
            self.commands.update(load_commands(command.module))
            command = self.commands.get(cmd_name)
        return command

    def format_help(self, ctx: Any, formatter: Any) -> None:
        """The root's help: commands listed from the table, no module imported."""
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


app = typer.Typer(
    name="tutorloop",
    help="Eval-driven development for LLM tutors: replay, grade, decide, learn, report.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=_LazyGroup,
)


def _version(value: bool) -> None:
    if value:
        console.print(f"tutorloop {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
    config: Annotated[
        str | None,
        typer.Option(
            "--config",
            metavar="PATH",
            help="The project config (default: $TUTORLOOP_CONFIG, else ./tutorloop.yaml).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Eval-driven development for LLM tutors."""
    ctx.obj = {"config": config}


def main() -> None:
    """Entry point: run the app; print tutorloop's own errors without a traceback."""
    try:
        app()
    except KeyboardInterrupt:
        err.print("[red]interrupted[/]")
        sys.exit(130)
    except ConfigError as exc:
        err.print(f"[red]config error:[/] {escape(exc.message)}")
        sys.exit(exc.exit_code)
    except TutorloopError as exc:
        err.print(f"[red]error:[/] {escape(exc.message)}")
        sys.exit(getattr(exc, "exit_code", 1))
