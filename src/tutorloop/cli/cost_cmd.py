"""``tutorloop calibrate``, ``cost`` and ``next``: thresholds, dollars, and what to label next."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from tutorloop.analyse import (
    ESCALATE,
    CostModel,
    GraderQuery,
    Objective,
    calculate_learning_cost,
    calibrate_graders,
    labelled_by_people,
    policy_costs,
    rank_next,
    turn_items,
    write_next_file,
)
from tutorloop.cli.labels_cmd import (
    FormatOpt,
    JsonOpt,
    LabelsOpt,
    ModelsOpt,
    RunsOpt,
    StoreOpt,
    labels_or_stored,
    load_labels,
)
from tutorloop.load import session_turn_items
from tutorloop.present import render_calibration, render_costs, render_next
from tutorloop.records import TurnItem

DimensionOpt = Annotated[
    str, typer.Option("--dimension", "-d", help="The dimension (default: the escalation).")
]
PositiveOpt = Annotated[
    list[str] | None,
    typer.Option("--positive", help="Label value(s) that need attention (repeatable)."),
]


def _cost_model(volume: int, fp: float, fn: float, review: float, run: float) -> CostModel:
    return CostModel(volume=volume, fp_cost=fp, fn_cost=fn, review_cost=review, run_cost=run)


def register(app: typer.Typer, console: Console, err: Console) -> None:
    """Add ``calibrate``, ``cost`` and ``next`` to ``app``."""

    @app.command("calibrate")
    def calibrate_cmd(
        labels: LabelsOpt = None,
        run: RunsOpt = None,
        model: ModelsOpt = None,
        dimension: DimensionOpt = ESCALATE,
        positive: PositiveOpt = None,
        objective: Annotated[
            str, typer.Option("--objective", help="kappa, macro_f1 or cost.")
        ] = "kappa",
        current: Annotated[
            float | None, typer.Option("--current", help="The threshold in use now.")
        ] = None,
        volume: Annotated[int, typer.Option("--volume", min=0)] = 10_000,
        fp_cost: Annotated[float, typer.Option("--fp-cost", min=0)] = 5.0,
        fn_cost: Annotated[float, typer.Option("--fn-cost", min=0)] = 20.0,
        review_cost: Annotated[float, typer.Option("--review-cost", min=0)] = 0.0,
        run_cost: Annotated[float, typer.Option("--run-cost", min=0)] = 0.0,
        fmt: FormatOpt = "auto",
        store: StoreOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Pick each grader's threshold: best agreement with people, or least expected cost."""
        if objective not in ("kappa", "macro_f1", "cost"):
            raise typer.BadParameter("use kappa, macro_f1 or cost", param_hint="--objective")
        chosen: Objective = objective  # type: ignore[assignment]
        costs = _cost_model(volume, fp_cost, fn_cost, review_cost, run_cost)
        query = GraderQuery(
            dimension=dimension, runs=run or [], models=model or [], store_path=store,
            positive=positive,
        )  # fmt: skip
        labelset = labels_or_stored(labels, fmt, run, store)
        results = calibrate_graders(labelset, query, chosen, costs, current)
        if as_json:
            payload = {name: c.model_dump() for name, c in results.items()}
            sys.stdout.write(json.dumps(payload, indent=2) + "\n")
            return
        for name, c in results.items():
            render_calibration(console, name, c, dimension == ESCALATE)

    @app.command("cost")
    def cost_cmd(
        volume: Annotated[int, typer.Option("--volume", min=0, help="Items per period.")] = 10_000,
        fp_cost: Annotated[
            float, typer.Option("--fp-cost", min=0, help="$ per false alarm.")
        ] = 5.0,
        fn_cost: Annotated[float, typer.Option("--fn-cost", min=0, help="$ per miss.")] = 20.0,
        review_cost: Annotated[
            float, typer.Option("--review-cost", min=0, help="$ per human review of a flag.")
        ] = 0.0,
        run_cost: Annotated[
            float, typer.Option("--run-cost", min=0, help="$ to grade one item.")
        ] = 0.0,
        fp_rate: Annotated[float | None, typer.Option("--fp-rate", min=0, max=1)] = None,
        fn_rate: Annotated[float | None, typer.Option("--fn-rate", min=0, max=1)] = None,
        labels: LabelsOpt = None,
        run: RunsOpt = None,
        model: ModelsOpt = None,
        dimension: DimensionOpt = ESCALATE,
        positive: PositiveOpt = None,
        fmt: FormatOpt = "auto",
        store: StoreOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Dollars per period of each grader's or policy's errors, and the cheapest policy."""
        costs = _cost_model(volume, fp_cost, fn_cost, review_cost, run_cost)
        if fp_rate is not None or fn_rate is not None:
            total = calculate_learning_cost(fp_rate or 0.0, fn_rate or 0.0, run_cost, costs)
            if as_json:
                sys.stdout.write(json.dumps({"total": total}) + "\n")
            else:
                console.print(f"${total:,.2f} per period", highlight=False)
            return
        if not (run or model):
            raise typer.BadParameter("give --fp-rate/--fn-rate, or --run/--model with labels")
        query = GraderQuery(
            dimension=dimension, runs=run or [], models=model or [], store_path=store,
            positive=positive,
        )  # fmt: skip
        rows = policy_costs(labels_or_stored(labels, fmt, run, store), query, costs)
        if as_json:
            payload = [c.model_dump() for c in rows]
            sys.stdout.write(json.dumps(payload, indent=2) + "\n")
            return
        render_costs(console, rows, costs)

    @app.command("next")
    def next_cmd(
        run: RunsOpt = None,
        model: ModelsOpt = None,
        input_file: Annotated[
            Path | None,
            typer.Option("--input", help="Items for --model: a label file or a sessions folder."),
        ] = None,
        labels: Annotated[
            Path | None, typer.Option("--labels", help="Labels so far: skip what people labelled.")
        ] = None,
        n: Annotated[int, typer.Option("--n", min=1, help="How many to list.")] = 50,
        out: Annotated[
            Path, typer.Option("--out", help="Labelling file (tutorloop JSONL).")
        ] = Path("next_labels.jsonl"),
        fmt: FormatOpt = "auto",
        store: StoreOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Rank unlabelled items by disagreement and nearness to a threshold; write a file."""
        if not run and not model:
            raise typer.BadParameter("give --run (run id or predictions file) or --model")
        items: dict[str, TurnItem] = {}
        done: set[tuple[str, str]] = set()
        if labels is not None or any(not Path(r).is_file() for r in run or []):
            labelled = labels_or_stored(labels, fmt, run, store, required=False)
            items.update(labelled.items)
            done = labelled_by_people(labelled.labels)
        if input_file is not None:
            if input_file.is_dir():
                found = session_turn_items([input_file])
            else:
                found = turn_items(load_labels(input_file, fmt))
            items.update({i.item_id: i for i in found})
        if model and not any(i.kind == "turn" and i.response for i in items.values()):
            raise typer.BadParameter("--model grades turns: give --input or --labels with turns")
        query = GraderQuery(runs=run or [], models=model or [], store_path=store)
        ranked = rank_next(query, items, done, n)
        path, count = write_next_file(ranked, items, out)
        if as_json:
            keys = ("item_id", "dimension", "priority", "reason")
            payload = [{k: getattr(c, k) for k in keys} for c in ranked]
            sys.stdout.write(json.dumps({"out": str(path), "items": payload}, indent=2) + "\n")
            return
        render_next(console, ranked[:10])
        console.print(
            f"wrote {count} item(s) to label → {path} (fill in 'value', then: "
            f"tutorloop labels import {path})",
            highlight=False,
            soft_wrap=True,
        )
