"""The progress bar of a run: items, rate, time left and the cost so far."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text


class _RateColumn(ProgressColumn):
    """Items per second, blank until rich has measured a speed."""

    def render(self, task: Task) -> Text:
        speed = task.speed
        return Text("" if speed is None else f"{speed:>7,.0f} items/s", style="progress.data.speed")


@contextmanager
def progress_bar(console: Console, total: int | None, label: str) -> Iterator[Callable[..., None]]:
    """A progress bar (items, rate, ETA, cost so far), quiet outside a terminal.

    Yields ``advance(n, cost_usd=None, total=None)``; ``total`` sets the bar's length when it is
    known only once the work has started.
    """
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        _RateColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[cost]}"),
        console=console,
        disable=not console.is_terminal,
        transient=False,
    )
    with progress:
        task = progress.add_task(label, total=total, cost="")

        def advance(done: int, cost_usd: float | None = None, total: int | None = None) -> None:
            if total is not None:
                progress.update(task, total=total)
            if cost_usd is not None:
                progress.update(task, cost=f"${cost_usd:,.4f}")
            progress.advance(task, done)

        yield advance
