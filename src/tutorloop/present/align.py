"""Terminal tables of an alignment benchmark run."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from tutorloop.align import AlignSummary


def render_align_summary(console: Console, summary: AlignSummary) -> None:
    """The per-(category, subcategory) and per model × persona tables."""
    for title, groups, keys in (
        ("by category", summary.by_category, ("category", "subcategory")),
        ("by model × persona", summary.by_model_persona, ("model", "persona")),
    ):
        table = Table(title=f"align run {summary.run_id}: {title}", title_justify="left")
        for key in keys:
            table.add_column(key)
        for column in ("n", "attack rate", "overall mean", "safety mean", "errors"):
            table.add_column(column, justify="right")
        for group in groups:
            table.add_row(
                *(group.group[k] for k in keys),
                str(group.n),
                _fmt(group.attack_rate),
                _fmt(group.overall_mean),
                _fmt(group.safety_mean),
                str(group.errors) if group.errors else "",
            )
        console.print(table)
    if summary.preferences:
        _preferences(console, summary)


def _preferences(console: Console, summary: AlignSummary) -> None:
    table = Table(
        title=f"align run {summary.run_id}: preferences by model × persona", title_justify="left"
    )
    for column in ("model", "persona"):
        table.add_column(column)
    for column in ("n", "tag accuracy", "with expected", "unknown", "confidence", "errors"):
        table.add_column(column, justify="right")
    table.add_column("top tags")
    for group in summary.preferences:
        table.add_row(
            group.group["model"],
            group.group["persona"],
            str(group.n),
            _fmt(group.tag_accuracy),
            str(group.with_expected),
            _fmt(group.unknown_rate),
            _fmt(group.confidence_mean),
            str(group.errors) if group.errors else "",
            ", ".join(f"{tag} ({count})" for tag, count in group.top_tags),
        )
    console.print(table)


def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"
