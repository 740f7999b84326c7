"""``tutorloop check-gates``: PULSE's strict release-gate check as an tutorloop command.

``tutorloop check-gates --status status.json --require a b c`` behaves like PULSE's
``check_gates.py --status status.json --require a b c``: exit 0 when every required gate is
literal ``true``, 1 when one is present but not ``true``, 2 when the file is missing or invalid
or a gate is absent, and 2 for a usage error (a missing flag, an unknown option, a stray
argument). The verdict lines are plain text on stdout and stderr, exactly as PULSE prints them.

``--require`` takes one or more ids like argparse's ``nargs="+"``, and may also be repeated;
every id given is required (argparse would keep only the last ``--require``'s list; requiring
the union can only make the check stricter).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Annotated, Any

import typer
from rich.console import Console
from typer.core import TyperCommand

from tutorloop.pulse import check_gates

__all__ = ["expand_require", "register"]


def expand_require(args: Sequence[str]) -> list[str]:
    """Rewrite ``--require a b c`` as ``--require a --require b --require c``.

    After a bare ``--require`` and its value, each following word that does not start with
    ``-`` is another gate id, as with argparse ``nargs="+"``. Everything after ``--`` is left
    as it is; so are ``--require=a`` forms.

    Args:
        args: The command's own arguments, as the shell split them.

    Returns:
        The arguments with one ``--require`` per gate id, in the order given.
    """
    out: list[str] = []
    i = 0
    while i < len(args):
        token = args[i]
        out.append(token)
        i += 1
        if token == "--":
            out.extend(args[i:])
            break
        if token == "--require" and i < len(args):
            out.append(args[i])  # the flag's own value, read by Click as usual
            i += 1
            while i < len(args) and not args[i].startswith("-"):
                out += ["--require", args[i]]
                i += 1
    return out


class _RequireNargsCommand(TyperCommand):
    """A command whose ``--require`` takes several values after one flag."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # a click.Context
        return super().parse_args(ctx, expand_require(args))


def register(app: typer.Typer, console: Console, err: Console) -> None:
    """Add the ``check-gates`` command to ``app``.

    ``console`` and ``err`` are accepted like every command module's ``register``; the command
    writes PULSE's plain-text lines to ``sys.stdout``/``sys.stderr`` instead, so that no markup
    or wrapping can change them.
    """
    del console, err

    @app.command("check-gates", cls=_RequireNargsCommand)
    def check_gates_command(
        status: Annotated[
            str,
            typer.Option(
                "--status", metavar="PATH", help="The PULSE status.json.", show_default=False
            ),
        ],
        require: Annotated[
            list[str],
            typer.Option(
                "--require",
                metavar="GATE...",
                help="Gate ids that must be literal true: --require a b c (or repeat the flag).",
                show_default=False,
            ),
        ],
    ) -> None:
        """Fail closed unless every required gate is literal true (PULSE check_gates.py).

        Exit 0: all pass; 1: a gate is present but not true; 2: bad file or absent gate.
        """
        raise typer.Exit(check_gates(status, require, sys.stdout, sys.stderr))
