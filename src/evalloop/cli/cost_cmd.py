"""``evalloop calibrate``, ``cost`` and ``next``: thresholds, dollars, and what to label next."""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from .._run import collect_votes, needs_attention, turn_items
from ..analyse import (
    ESCALATE,
    Calibration,
    Candidate,
    Confusion,
    CostModel,
    Objective,
    PolicyCost,
    Prediction,
    calculate_learning_cost,
    calibrate,
    compare_policies,
    rank_items,
)
from ..errors import UserError
from ..load import LabelSet, session_turn_items, write_labels
from ..records import HumanLabel, TurnItem
from .labels_cmd import FormatOpt, JsonOpt, ModelsOpt, RunsOpt, StoreOpt, load_labels

DimensionOpt = Annotated[
    str, typer.Option("--dimension", "-d", help="The dimension (default: the escalation).")
]
PositiveOpt = Annotated[
    list[str] | None,
    typer.Option("--positive", help="Label value(s) that need attention (repeatable)."),
]


def _cost_model(volume: int, fp: float, fn: float, review: float, run: float) -> CostModel:
    return CostModel(volume=volume, fp_cost=fp, fn_cost=fn, review_cost=review, run_cost=run)


def risk(prediction: Prediction, positive: set[str]) -> float | None:
    """The grader's probability that the item needs attention, when it gives one."""
    scores = prediction.scores
    if not scores:
        return None
    if set(scores) >= positive or len(scores) > 1:
        return min(1.0, sum(p for label, p in scores.items() if label in positive))
    (label, p), *_ = scores.items()
    return p if label in positive else 1.0 - p


def graded(
    labelset: LabelSet,
    dimension: str,
    runs: list[str],
    models: list[str],
    store: Path | None,
    positive: list[str] | None,
) -> tuple[set[str], dict[tuple[str, str], list[tuple[bool, Prediction]]]]:
    """Per grader version: (needs attention per people, its prediction) on shared items."""
    gold = labelset.gold(dimension)
    if not gold:
        known = ", ".join(labelset.dimensions()) or "none"
        raise UserError(f"{labelset.path}: no labels for {dimension!r}; dimensions: {known}")
    bad = set(positive) if positive else needs_attention(dimension, gold.values())
    table: dict[tuple[str, str], list[tuple[bool, Prediction]]] = defaultdict(list)
    for vote in collect_votes(runs, models, turn_items(labelset), store, [dimension]):
        p = vote.prediction
        if p.dimension == dimension and p.item_id in gold:
            table[p.key].append((gold[p.item_id] in bad, p))
    if not table:
        raise UserError(f"no grader graded an item labelled on {dimension!r}; check the item ids")
    return bad, dict(table)


def _render_calibration(console: Console, name: str, c: Calibration, escalate: bool) -> None:
    best = c.best
    kappa = "—" if best.kappa is None else f"{best.kappa:.3f}"
    hint = f" (escalate when fidelity < {1 - best.threshold:.2f})" if escalate else ""
    console.print(
        f"[bold]{name}[/]: {c.n} labelled, {c.positives} need attention; best threshold "
        f"{best.threshold:.3f}{hint} by {c.objective}: κ {kappa}, macro-F1 {best.macro_f1:.3f}, "
        f"cost ${best.cost:,.0f}; Brier {c.brier:.3f}",
        highlight=False,
        soft_wrap=True,
    )
    if c.current is not None:
        cur = c.current
        kappa = "—" if cur.kappa is None else f"{cur.kappa:.3f}"
        console.print(
            f"  current threshold {cur.threshold:.3f}: κ {kappa}, macro-F1 {cur.macro_f1:.3f}, "
            f"cost ${cur.cost:,.0f}",
            highlight=False,
        )


def render_costs(console: Console, costs: list[PolicyCost], model: CostModel) -> None:
    """Policies cheapest first; the first row is marked."""
    table = Table(
        title=f"cost per period: {model.volume:,} items, FP ${model.fp_cost:g}, "
        f"FN ${model.fn_cost:g}, review ${model.review_cost:g}, run ${model.run_cost:g}",
        title_justify="left",
    )
    columns = ("FP rate", "FN rate", "flagged", "wasted", "missed", "review", "processing")
    table.add_column("policy")
    for column in (*columns, "total"):
        table.add_column(column, justify="right")
    for index, c in enumerate(costs):
        name = f"[bold green]{c.policy} (cheapest)[/]" if index == 0 else c.policy
        table.add_row(
            name,
            f"{c.fp_rate:.3f}",
            f"{c.fn_rate:.3f}",
            f"{c.flagged_rate:.3f}",
            f"${c.wasted:,.0f}",
            f"${c.missed:,.0f}",
            f"${c.review:,.0f}",
            f"${c.processing:,.0f}",
            f"${c.total:,.0f}",
        )
    console.print(table)


def policy_costs(
    labelset: LabelSet,
    dimension: str,
    runs: list[str],
    models: list[str],
    store: Path | None,
    positive: list[str] | None,
    model: CostModel,
) -> list[PolicyCost]:
    """Each grader as a policy, its cheapest threshold when it has scores, and the baselines."""
    bad, table = graded(labelset, dimension, runs, models, store, positive)
    confusions: dict[str, Confusion] = {}
    for (grader, version), pairs in sorted(table.items()):
        name = f"{grader} {version}"
        truth = [t for t, _ in pairs]
        confusions[name] = Confusion.of(truth, [p.label in bad for _, p in pairs])
        risks = [risk(p, bad) for _, p in pairs]
        if all(r is not None for r in risks) and len(set(risks)) > 1:
            tuned = calibrate(truth, [r or 0.0 for r in risks], "cost", model)
            label = f"{name} @ threshold {tuned.best.threshold:.2f}"
            confusions[label] = tuned.best.confusion
    return compare_policies(confusions, model)


def next_file(
    candidates: list[Candidate], items: dict[str, TurnItem], out: Path
) -> tuple[Path, int]:
    """Write the labelling file (evalloop JSONL, ``value`` left empty); return path and count."""
    labels = [
        HumanLabel(
            item_id=c.item_id,
            dimension=c.dimension,
            value=None,
            note=f"priority {c.priority:.2f}: {c.reason}",
        )
        for c in candidates
    ]
    known = dict(items)
    for c in candidates:
        if c.item_id not in known:
            kind = "turn" if "#" in c.item_id else "session"
            known[c.item_id] = TurnItem(item_id=c.item_id, kind=kind)
    return write_labels(out, labels, known), len(labels)


def register(app: typer.Typer, console: Console, err: Console) -> None:
    """Add ``calibrate``, ``cost`` and ``next`` to ``app``."""

    @app.command("calibrate")
    def calibrate_cmd(
        labels: Annotated[Path, typer.Option("--labels", help="Human labels.")],
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
        labelset = load_labels(labels, fmt)
        bad, table = graded(labelset, dimension, run or [], model or [], store, positive)
        default_current = 0.4 if dimension == ESCALATE else 0.5
        results = {}
        for (grader, version), pairs in sorted(table.items()):
            risks = [risk(p, bad) for _, p in pairs]
            if any(r is None for r in risks):
                continue
            truth = [t for t, _ in pairs]
            now = default_current if current is None else current
            results[f"{grader} {version}"] = calibrate(
                truth, [r or 0.0 for r in risks], chosen, costs, now
            )
        if not results:
            raise UserError(f"no grader gives scores on {dimension!r}: nothing to calibrate")
        if as_json:
            payload = {name: c.model_dump() for name, c in results.items()}
            sys.stdout.write(json.dumps(payload, indent=2) + "\n")
            return
        for name, c in results.items():
            _render_calibration(console, name, c, dimension == ESCALATE)

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
        labels: Annotated[Path | None, typer.Option("--labels", help="Human labels.")] = None,
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
        if labels is None or not (run or model):
            raise typer.BadParameter("give --fp-rate/--fn-rate, or --labels with --run/--model")
        labelset = load_labels(labels, fmt)
        rows = policy_costs(labelset, dimension, run or [], model or [], store, positive, costs)
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
            Path | None, typer.Option("--labels", help="Labels so far: skip these items.")
        ] = None,
        n: Annotated[int, typer.Option("--n", min=1, help="How many to list.")] = 50,
        out: Annotated[Path, typer.Option("--out", help="Labelling file (evalloop JSONL).")] = Path(
            "next_labels.jsonl"
        ),
        fmt: FormatOpt = "auto",
        store: StoreOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Rank unlabelled items by disagreement and nearness to a threshold; write a file."""
        if not run and not model:
            raise typer.BadParameter("give --run (run id or predictions file) or --model")
        items: dict[str, TurnItem] = {}
        done: set[tuple[str, str]] = set()
        if labels is not None:
            labelled = load_labels(labels, fmt)
            items.update(labelled.items)
            done = {(label.item_id, label.dimension) for label in labelled.labels}
        if input_file is not None:
            if input_file.is_dir():
                found = session_turn_items([input_file])
            else:
                found = turn_items(load_labels(input_file, fmt))
            items.update({i.item_id: i for i in found})
        turns = [i for i in items.values() if i.kind == "turn" and i.response]
        if model and not turns:
            raise typer.BadParameter("--model grades turns: give --input or --labels with turns")
        votes = collect_votes(run or [], model or [], turns, store)
        ranked = rank_items(votes, done)[:n]
        path, count = next_file(ranked, items, out)
        if as_json:
            keys = ("item_id", "dimension", "priority", "reason")
            payload = [{k: getattr(c, k) for k in keys} for c in ranked]
            sys.stdout.write(json.dumps({"out": str(path), "items": payload}, indent=2) + "\n")
            return
        render_next(console, ranked[:10])
        console.print(
            f"wrote {count} item(s) to label → {path} (fill in 'value', then: "
            f"evalloop labels import {path})",
            highlight=False,
            soft_wrap=True,
        )


def render_next(console: Console, ranked: list[Candidate]) -> None:
    """The top of the labelling queue."""
    table = Table(title="label these next", title_justify="left")
    for column in ("priority", "item", "dimension", "why"):
        table.add_column(column)
    for c in ranked:
        table.add_row(f"{c.priority:.2f}", c.item_id, c.dimension, c.reason)
    console.print(table)
