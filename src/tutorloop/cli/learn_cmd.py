"""``tutorloop learn train | predict | curve``: learned graders from human labels."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from tutorloop.analyse import label_predictions, turn_grader, turn_items
from tutorloop.atomic import atomic_path
from tutorloop.cli.labels_cmd import DimsOpt, FormatOpt, LabelsOpt, load_labels
from tutorloop.errors import UserError
from tutorloop.grade import (
    CVReport,
    TrainConfig,
    grouped_cv,
    save_learned,
    train_learned,
    training_data,
)
from tutorloop.load import session_turn_items

DimensionOpt = Annotated[str, typer.Option("--dimension", "-d", help="The dimension to learn.")]
FoldsOpt = Annotated[int, typer.Option("--folds", min=2, help="Grouped CV folds.")]


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
    table = Table(title=f"{report.dimension}: learning curve", title_justify="left")
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


def register(app: typer.Typer, console: Console, err: Console) -> None:
    """Add the ``learn`` command group to ``app``."""
    group = typer.Typer(name="learn", help="Learned graders.", no_args_is_help=True)

    @group.callback()
    def _group() -> None:
        """Train small text classifiers on human labels and use them as graders."""

    @group.command("train")
    def train_cmd(
        labels: LabelsOpt,
        dimension: DimensionOpt,
        out: Annotated[Path, typer.Option("--out", help="The model folder to write.")],
        fmt: FormatOpt = "auto",
        folds: FoldsOpt = 5,
        cv: Annotated[bool, typer.Option("--cv/--no-cv", help="Cross-validate first.")] = True,
        history_chars: Annotated[
            int, typer.Option("--history-chars", min=0, help="History the classifier reads.")
        ] = 400,
    ) -> None:
        """Train a learned grader on one dimension (CV grouped by dialogue) and save it."""
        labelset = load_labels(labels, fmt)
        data = training_data(labelset, dimension)
        config = TrainConfig(folds=folds, history_chars=history_chars)
        start = time.process_time()
        grader, report = train_learned(data, config, cv=cv)
        seconds = time.process_time() - start
        folder = save_learned(grader, out)
        if report is not None:
            render_cv(console, report)
        console.print(
            f"trained {grader.name} {grader.version} on {len(data.items)} responses in "
            f"{seconds:.1f} s CPU; labels {', '.join(grader.manifest.labels)}",
            highlight=False,
            soft_wrap=True,
        )
        console.print(f"wrote {folder}", highlight=False, soft_wrap=True)

    @group.command("predict")
    def predict_cmd(
        model: Annotated[
            str,
            typer.Argument(help="A learned grader folder, 'heuristic' or 'judge:provider/model'."),
        ],
        input_file: Annotated[
            Path, typer.Option("--input", help="Label file or sessions to grade.")
        ],
        out: Annotated[Path, typer.Option("--out", help="Predictions JSONL to write.")],
        fmt: Annotated[
            str,
            typer.Option(
                "--format", help="mrbench, tutorloop, csv (label files) or sessions (every turn)."
            ),
        ] = "mrbench",
        dimension: DimsOpt = None,
    ) -> None:
        """One JSON line per (dialogue, tutor, dimension): label and probability."""
        grader = turn_grader(model)
        if fmt == "sessions":
            items = session_turn_items([input_file])
        else:
            items = turn_items(load_labels(input_file, fmt))
        if not items:
            raise UserError(f"{input_file}: no tutor turns to grade")
        count = 0
        with atomic_path(out) as tmp, tmp.open("w", encoding="utf-8") as handle:
            for record in label_predictions(grader, items, dimension):
                handle.write(record.model_dump_json(exclude_none=False) + "\n")
                count += 1
        console.print(
            f"{grader.name} {grader.version}: {count} prediction(s) for {len(items)} turn(s) "
            f"→ {out}",
            highlight=False,
            soft_wrap=True,
        )

    @group.command("curve")
    def curve_cmd(
        labels: LabelsOpt,
        dimension: DimensionOpt,
        fmt: FormatOpt = "auto",
        folds: FoldsOpt = 5,
    ) -> None:
        """How many labels a learned grader needs to beat the rules (10/25/50/100 %)."""
        labelset = load_labels(labels, fmt)
        data = training_data(labelset, dimension)
        config = TrainConfig(folds=folds)
        report = grouped_cv(data.items, data.labels, data.groups, dimension, config, curve=True)
        render_curve(console, report)

    app.add_typer(group)
