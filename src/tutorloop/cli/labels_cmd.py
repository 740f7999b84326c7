"""``tutorloop labels import`` and ``tutorloop agreement``: human labels against graders."""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from tutorloop.analyse import (
    AgreementScore,
    agreement,
    collect_votes,
    gold_table,
    rater_agreement,
    turn_items,
)
from tutorloop.load import LabelFormat, LabelSet, read_labels, write_labels

FormatOpt = Annotated[
    str,
    typer.Option("--format", help="auto (by suffix), tutorloop (JSONL), mrbench (JSON) or csv."),
]
LabelsOpt = Annotated[Path, typer.Option("--labels", help="Human labels (any import format).")]
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


def render_counts(console: Console, labelset: LabelSet) -> None:
    """Items, labels and label counts per dimension."""
    console.print(
        f"{labelset.path}: {len(labelset.items)} item(s), {len(labelset.labels)} label(s), "
        f"{len(labelset.pending)} still to label; raters: {', '.join(labelset.raters()) or '—'}",
        highlight=False,
        soft_wrap=True,
    )
    table = Table(title="labels per dimension", title_justify="left")
    table.add_column("dimension")
    table.add_column("items", justify="right")
    table.add_column("label counts")
    for dimension, counts in labelset.counts().items():
        spread = ", ".join(f"{value} {n}" for value, n in counts.most_common())
        table.add_row(dimension, str(len(labelset.by_item(dimension))), spread)
    console.print(table)


def _raters(labelset: LabelSet) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for dimension in labelset.dimensions():
        table: dict[str, dict[str, str]] = defaultdict(dict)
        for item_id, labels in labelset.by_item(dimension).items():
            for label in labels:
                table[item_id][label.rater] = label.value or ""
        out.extend(r.model_dump() for r in rater_agreement(table, dimension))
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
    )
    return scores, in_sample


def _ci(score: AgreementScore, metric: str, value: float | None) -> str:
    if value is None:
        return "—"
    low_high = score.ci.get(metric)
    text = f"{value:.3f}"
    return f"{text} [{low_high[0]:.2f}–{low_high[1]:.2f}]" if low_high else text


def render_agreement(
    console: Console, scores: list[AgreementScore], *, confusion: bool = False
) -> None:
    """One row per grader version and dimension, with 95 % intervals over dialogues."""
    table = Table(
        title="agreement with people (95 % bootstrap over dialogues)", title_justify="left"
    )
    for column in ("dimension", "grader", "version", "n", "acc", "macro-F1", "lenient F1", "κ"):
        table.add_column(column, justify="right" if column in ("n",) else "left")
    for s in scores:
        table.add_row(
            s.dimension,
            s.grader,
            s.version,
            str(s.n),
            f"{s.accuracy:.3f}",
            _ci(s, "macro_f1", s.macro_f1),
            _ci(s, "lenient_macro_f1", s.lenient_macro_f1),
            _ci(s, "kappa", s.kappa),
        )
    console.print(table)
    if confusion:
        for s in scores:
            matrix = Table(title=f"{s.dimension} · {s.grader}: rows people, columns grader")
            matrix.add_column("")
            for label in s.labels:
                matrix.add_column(label, justify="right")
            for label, row in zip(s.labels, s.confusion, strict=True):
                matrix.add_row(label, *(str(n) for n in row))
            console.print(matrix)


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
                "rater_agreement": raters,
                "out": str(out) if out else None,
            }
            sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
            return
        render_counts(console, labelset)
        if raters:
            table = Table(title="inter-rater agreement", title_justify="left")
            for column in ("dimension", "raters", "n", "agree", "κ"):
                table.add_column(column)
            for r in raters:
                kappa = "—" if r["kappa"] is None else f"{r['kappa']:.3f}"
                table.add_row(
                    r["dimension"],
                    f"{r['rater_a']} / {r['rater_b']}",
                    str(r["n"]),
                    f"{r['percent_agreement']:.2f}",
                    kappa,
                )
            console.print(table)
        if out is not None:
            console.print(f"wrote {out}", highlight=False, soft_wrap=True)

    app.add_typer(group)

    @app.command("agreement")
    def agreement_cmd(
        labels: LabelsOpt,
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
        labelset = load_labels(labels, fmt)
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
        for name in sorted(in_sample):
            err.print(
                f"[yellow]note:[/] {name} was trained on these labels: its agreement here is "
                "in-sample; its grouped-CV scores are in its manifest.json"
            )
