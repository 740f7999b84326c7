"""``tutorloop learn train | predict | curve``: learned graders from human labels."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from tutorloop.analyse import label_predictions, turn_grader, turn_items
from tutorloop.atomic import atomic_path
from tutorloop.cli.labels_cmd import DimsOpt, FormatOpt, load_labels
from tutorloop.errors import UserError
from tutorloop.grade import (
    TrainConfig,
    grouped_cv,
    save_learned,
    train_learned,
    training_data,
)
from tutorloop.load import session_turn_items
from tutorloop.present import render_curve, render_cv

LabelFileOpt = Annotated[
    Path, typer.Option("--labels", help="Human labels (any import format, or labels export).")
]
DimensionOpt = Annotated[str, typer.Option("--dimension", "-d", help="The dimension to learn.")]
FoldsOpt = Annotated[int, typer.Option("--folds", min=2, help="Grouped CV folds.")]


def register(app: typer.Typer, console: Console, err: Console) -> None:
    """Add the ``learn`` command group to ``app``."""
    group = typer.Typer(name="learn", help="Learned graders.", no_args_is_help=True)

    @group.callback()
    def _group() -> None:
        """Train small text classifiers on human labels and use them as graders."""

    @group.command("train")
    def train_cmd(
        labels: LabelFileOpt,
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
        labels: LabelFileOpt,
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
