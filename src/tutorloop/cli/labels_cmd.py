"""``tutorloop labels import`` and ``tutorloop agreement``: human labels against graders."""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from tutorloop.analyse import (
    AgreementScore,
    RaterAgreement,
    agreement,
    collect_votes,
    gold_table,
    rater_agreement,
    turn_items,
)
from tutorloop.load import LabelFormat, LabelSet, read_labels, review_labelset, write_labels
from tutorloop.present import render_agreement, render_label_counts, render_rater_agreement
from tutorloop.present.report import Wanted, find_trajectories
from tutorloop.store import Store

_SPEAKER = {"user": "Student", "assistant": "Tutor"}
"""How a turn's speaker is written in a turn item's history (as label files and MRBench)."""

FormatOpt = Annotated[
    str,
    typer.Option("--format", help="auto (by suffix), tutorloop (JSONL), mrbench (JSON) or csv."),
]
LabelsOpt = Annotated[
    Path | None,
    typer.Option(
        "--labels",
        help="Human labels (any import format; default: the reviewers' labels stored for --run).",
    ),
]
RunsOpt = Annotated[
    list[str] | None,
    typer.Option("--run", help="A stored run id or a predictions JSONL (repeatable)."),
]
ModelsOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--model",
        help="'heuristic', 'judge:<provider/model>' or a learned grader folder (repeatable).",
    ),
]
DimsOpt = Annotated[
    list[str] | None, typer.Option("--dimension", "-d", help="Only this dimension (repeatable).")
]
StoreOpt = Annotated[Path | None, typer.Option("--store", help="SQLite store file.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON instead.")]


def load_labels(path: Path, fmt: str = "auto", rater: str | None = None) -> LabelSet:
    """Read a label file, checking the format name first."""
    if fmt not in ("auto", "tutorloop", "mrbench", "csv"):
        raise typer.BadParameter(f"unknown format {fmt!r}", param_hint="--format")
    chosen: LabelFormat = fmt  # type: ignore[assignment]
    return read_labels(path, chosen, rater)


def labels_or_stored(
    path: Path | None,
    fmt: str,
    runs: list[str] | None,
    store: Path | None,
    *,
    required: bool = True,
) -> LabelSet:
    """The label file at ``path``, else the reviewers' labels stored for the ``runs``' items.

    With ``required`` false, no labels at all is an empty set rather than an error.
    """
    if path is not None:
        return load_labels(path, fmt)
    stored = [r for r in runs or [] if not Path(r).is_file()]
    if not stored:
        raise typer.BadParameter(
            "give --labels FILE, or --run with a stored run whose items reviewers labelled",
            param_hint="--labels",
        )
    with Store.open(store) as opened:
        labelset = stored_labels(opened, stored)
    if not labelset.labels and required:
        raise typer.BadParameter(
            f"no reviewer has labelled run {', '.join(stored)} yet: label it at /review "
            "(tutorloop serve), or give --labels FILE",
            param_hint="--labels",
        )
    return labelset


def stored_labels(store: Store, runs: list[str], *, history: bool = False) -> LabelSet:
    """The reviewers' labels of ``runs`` (each rater's newest, or every one with ``history``).

    A tutor turn's item carries the dialogue before the turn and the turn itself, from the
    run's replays, the records kept with its grades, or its session files, so turn graders
    (``--model``) and ``learn train`` can read what was labelled.
    """
    table = store.labels
    labels = [
        label
        for run in runs
        for label in (table.find(run_id=run) if history else table.current(run))
    ]
    labelset = review_labelset(labels, f"reviewers' labels of {', '.join(runs)}")
    wanted: dict[str, dict[str, Wanted]] = defaultdict(dict)
    for label in labels:
        if label.turn is not None and label.session_id is not None:
            item = store.get_item(label.run_id, label.item_key)
            source = item.source if item is not None else None
            wanted[label.run_id][label.item_key] = Wanted(label.session_id, source)
    found = {run: find_trajectories(store, run, keys) for run, keys in wanted.items()}
    for label in labels:
        trajectory = found.get(label.run_id, {}).get(label.item_key)
        if trajectory is None or label.turn is None or label.turn >= len(trajectory.graded):
            continue
        before = trajectory.graded[: label.turn]
        history_text = "\n".join(f"{_SPEAKER.get(t.role, t.role)}: {t.content}" for t in before)
        labelset.items[label.item_id] = labelset.items[label.item_id].model_copy(
            update={"history": history_text, "response": trajectory.graded[label.turn].content}
        )
    return labelset


def _raters(labelset: LabelSet) -> list[RaterAgreement]:
    out: list[RaterAgreement] = []
    for dimension in labelset.dimensions():
        table: dict[str, dict[str, str]] = defaultdict(dict)
        for item_id, labels in labelset.by_item(dimension).items():
            for label in labels:
                table[item_id][label.rater] = label.value or ""
        out.extend(rater_agreement(table, dimension))
    return out


def agreement_scores(
    labelset: LabelSet,
    runs: list[str],
    models: list[str],
    dimensions: list[str] | None,
    store: Path | None,
    resamples: int,
) -> tuple[list[AgreementScore], set[str]]:
    """Agreement of every run source and turn grader with ``labelset``.

    Returns:
        The scores, and the names of learned graders trained on these very labels (their
        agreement is in-sample: read their cross-validated scores instead).
    """
    gold = gold_table({d: labelset.gold(d) for d in labelset.dimensions()})
    votes = collect_votes(runs, models, turn_items(labelset), store, dimensions)
    in_sample = {v.prediction.grader for v in votes if v.prediction.trained_on == labelset.sha256}
    scores = agreement(
        gold,
        (v.prediction for v in votes),
        labelset.group_of,
        dimensions=dimensions,
        resamples=resamples,
        label_source=labelset.label_source(),
    )
    return scores, in_sample


def register(app: typer.Typer, console: Console, err: Console) -> None:
    """Add ``labels import`` and ``agreement`` to ``app``."""
    group = typer.Typer(name="labels", help="Human labels.", no_args_is_help=True)

    @group.callback()
    def _group() -> None:
        """Import human rubric labels (tutorloop JSONL, MRBench/BEA JSON, CSV)."""

    @group.command("import")
    def import_(
        file: Annotated[Path, typer.Argument(help="The label file.")],
        fmt: FormatOpt = "auto",
        rater: Annotated[
            str | None, typer.Option("--rater", help="Rater id for rows that name none.")
        ] = None,
        out: Annotated[
            Path | None, typer.Option("--out", help="Also write the labels as tutorloop JSONL.")
        ] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Read a label file: every bad row reported; label counts per dimension."""
        labelset = load_labels(file, fmt, rater)
        raters = _raters(labelset) if len(labelset.raters()) > 1 else []
        if out is not None:
            write_labels(out, [*labelset.labels, *labelset.pending], labelset.items)
        if as_json:
            data = {
                "path": labelset.path,
                "format": labelset.format,
                "sha256": labelset.sha256,
                "items": len(labelset.items),
                "labels": len(labelset.labels),
                "pending": len(labelset.pending),
                "raters": labelset.raters(),
                "counts": {d: dict(c) for d, c in labelset.counts().items()},
                "rater_agreement": [r.model_dump() for r in raters],
                "out": str(out) if out else None,
            }
            sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
            return
        render_label_counts(console, labelset)
        if raters:
            render_rater_agreement(console, raters)
        if out is not None:
            console.print(f"wrote {out}", highlight=False, soft_wrap=True)

    @group.command("export")
    def export_(
        run: Annotated[list[str], typer.Option("--run", help="A stored run id (repeatable).")],
        out: Annotated[Path, typer.Option("--out", help="The tutorloop JSONL label file.")],
        history: Annotated[
            bool, typer.Option("--history/--current", help="Every label, or each rater's newest.")
        ] = False,
        store: StoreOpt = None,
    ) -> None:
        """Write the reviewers' labels of stored runs as a tutorloop JSONL label file."""
        with Store.open(store) as opened:
            labelset = stored_labels(opened, run, history=history)
        write_labels(out, labelset.labels, labelset.items)
        render_label_counts(console, labelset)
        raters = _raters(labelset) if len(labelset.raters()) > 1 else []
        if raters:
            render_rater_agreement(console, raters)
        console.print(
            f"wrote {len(labelset.labels)} labels to {out}", highlight=False, soft_wrap=True
        )

    app.add_typer(group)

    @app.command("agreement")
    def agreement_cmd(
        labels: LabelsOpt = None,
        run: RunsOpt = None,
        model: ModelsOpt = None,
        dimension: DimsOpt = None,
        fmt: FormatOpt = "auto",
        resamples: Annotated[
            int, typer.Option("--resamples", min=0, help="Bootstrap resamples (0: none).")
        ] = 200,
        confusion: Annotated[
            bool, typer.Option("--confusion", help="Print each confusion matrix.")
        ] = False,
        store: StoreOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Agreement of each grader version with people, per dimension."""
        if not run and not model:
            raise typer.BadParameter("give --run (a run id or predictions file) or --model")
        labelset = labels_or_stored(labels, fmt, run, store)
        scores, in_sample = agreement_scores(
            labelset, run or [], model or [], dimension, store, resamples
        )
        if as_json:
            payload = [s.model_dump() for s in scores]
            sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
            return
        if not scores:
            err.print("no graded item has a human label: check that item ids match")
            raise typer.Exit(1)
        render_agreement(console, scores, confusion=confusion)
        if len(labelset.raters()) > 1:
            raters = _raters(labelset)
            if raters:
                render_rater_agreement(console, raters)
        for name in sorted(in_sample):
            err.print(
                f"[yellow]note:[/] {name} was trained on these labels: its agreement here is "
                "in-sample; its grouped-CV scores are in its manifest.json"
            )
