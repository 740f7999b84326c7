"""Terminal tables of a learned grader: its cross-validated scores and its learning curve."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from tutorloop.grade import CVReport


def render_cv(console: Console, report: CVReport) -> None:
    """Mean exact and lenient macro-F1 of the learned grader, the rules and the majority."""
    table = Table(
        title=f"{report.dimension}: {len(report.folds)}-fold CV grouped by dialogue "
        f"({report.items} responses, {report.groups} dialogues)",
        title_justify="left",
    )
    for column in ("grader", "macro-F1", "lenient macro-F1", "accuracy"):
        table.add_column(column)
    for grader in ("learned", "heuristic", "majority"):
        f1 = report.mean(grader, "macro_f1")
        if f1 != f1:  # NaN: the rules do not grade this dimension
            continue
        table.add_row(
            grader,
            f"{f1:.3f}",
            f"{report.mean(grader, 'lenient_macro_f1'):.3f}",
            f"{report.mean(grader, 'accuracy'):.3f}",
        )
    console.print(table)


def render_curve(console: Console, report: CVReport) -> None:
    """The learning curve: macro-F1 by share of training dialogues, against the rules."""
    heuristic = report.mean("heuristic", "macro_f1")
    majority = report.mean("majority", "macro_f1")
    table = Table(title=f"{report.dimension}: learning curve (one model)", title_justify="left")
    for column in ("training share", "labels", "macro-F1", "lenient", "vs rules"):
        table.add_column(column, justify="right")
    for fraction, scores in sorted(report.curve.items()):
        beats = "—"
        if heuristic == heuristic:
            beats = "beats" if scores["macro_f1"] > heuristic else "below"
        table.add_row(
            f"{fraction:.0%}",
            f"{scores['items']:.0f}",
            f"{scores['macro_f1']:.3f}",
            f"{scores['lenient_macro_f1']:.3f}",
            beats,
        )
    console.print(table)
    rules = f"rules {heuristic:.3f}, " if heuristic == heuristic else ""
    console.print(f"[dim]{rules}majority class {majority:.3f}[/]")
