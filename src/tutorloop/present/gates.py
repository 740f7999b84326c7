"""Terminal tables of release decisions: the gates of a run and an A/B comparison."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from tutorloop.analyse import Comparison
from tutorloop.pulse import GateReport


def render_gates(console: Console, report: GateReport) -> None:
    """The gate table: pass/fail, the condition (threshold) and the measured value."""
    table = Table(title="Release gates", title_justify="left")
    for column in ("gate", "kind", "result", "condition", "value", "why"):
        table.add_column(column, overflow="fold")
    for row in report.rows:
        result = "[green]PASS[/]" if row.passed else "[red]FAIL[/]"
        value = "-" if row.value is None else f"{row.value:.4g}"
        kind = "required" if row.required else "advisory"
        table.add_row(row.name, kind, result, row.condition, value, row.reason)
    console.print(table)


def render_comparison(console: Console, comparison: Comparison, max_rows: int = 15) -> None:
    """Per-check pass rates with McNemar p-values, the fidelity delta and what got worse."""
    a, b = comparison.label_a, comparison.label_b
    table = Table(title=f"{a} → {b} on {comparison.pairs} paired sessions", title_justify="left")
    for column in ("check", f"pass % {a}", f"pass % {b}", "worse", "better", "McNemar p"):
        table.add_column(column, justify="left" if column == "check" else "right")
    for check in comparison.checks:
        p_value = "-" if check.mcnemar_p is None else f"{check.mcnemar_p:.3g}"
        table.add_row(
            check.name, f"{100 * check.pass_rate_a:.1f}", f"{100 * check.pass_rate_b:.1f}",
            str(check.a_only), str(check.b_only), p_value,
        )  # fmt: skip
    console.print(table)
    if comparison.delta is not None:
        console.print(
            f"fidelity {comparison.fidelity_mean_a:.3f} → {comparison.fidelity_mean_b:.3f}: "
            f"delta [bold]{comparison.delta:+.3f}[/] "
            f"(95% paired bootstrap CI {comparison.ci_low:+.3f} … {comparison.ci_high:+.3f}); "
            f"{comparison.better_count} better, {comparison.worse_count} worse, "
            f"unpaired {comparison.unpaired_a}/{comparison.unpaired_b}"
        )
    for pair in comparison.worse[:max_rows]:
        failed = ", ".join(pair.newly_failed) or "no check newly failed"
        console.print(f"  [red]worse[/] {pair.pair}: {pair.delta:+.2f} ({failed})", highlight=False)
        for line in pair.evidence[:2]:
            console.print(f"      [dim]{line}[/]", highlight=False)
