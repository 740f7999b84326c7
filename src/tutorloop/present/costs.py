"""Terminal output of label economics: calibrated thresholds, policy costs, what to label next."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from tutorloop.analyse import Calibration, Candidate, CostModel, PolicyCost


def render_calibration(console: Console, name: str, c: Calibration, escalate: bool) -> None:
    """The best threshold of grader ``name`` and, when given, the one in use now.

    ``escalate`` says the scores are the escalation's (the hint names the fidelity threshold).
    """
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


def render_costs(console: Console, costs: Sequence[PolicyCost], model: CostModel) -> None:
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


def render_next(console: Console, ranked: Sequence[Candidate]) -> None:
    """The top of the labelling queue."""
    table = Table(title="label these next", title_justify="left")
    for column in ("priority", "item", "dimension", "why"):
        table.add_column(column)
    for c in ranked:
        table.add_row(f"{c.priority:.2f}", c.item_id, c.dimension, c.reason)
    console.print(table)
