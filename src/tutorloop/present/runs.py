"""Terminal tables of a run: its summary and the input problems it met.

The summary shows each session, the conditions side by side, the checks, the testing-criteria and
learned graders, the failure taxonomy and the review queue, then one line of dashboard numbers.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from tutorloop.analyse import RunSummary
from tutorloop.errors import Problem

_SEVERITY_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan"}


def _styled(text: str, style: str) -> str:
    """``text`` in rich markup ``style`` (plain when there is no style)."""
    return f"[{style}]{text}[/]" if style else text


def render_problems(console: Console, problems: Sequence[Problem], title: str) -> None:
    """One line per problem, ``file:line turn N field F: what is wrong (what to do)``."""
    console.print(f"[bold red]{title}[/]")
    for problem in problems:
        console.print(f"  [bold]{problem.location()}[/]: {problem.message}", highlight=False)
        if problem.hint:
            console.print(f"    [dim]{problem.hint}[/]", highlight=False)


def render_summary(console: Console, summary: RunSummary, *, max_rows: int = 20) -> None:
    """Per-session fidelity, failed checks and escalation; then check rates and the taxonomy."""
    sessions = Table(title=f"Run {summary.run_id}", title_justify="left")
    sessions.add_column("session", overflow="fold")
    sessions.add_column("cond.")
    sessions.add_column("fidelity", justify="right")
    sessions.add_column("failures", overflow="fold")
    sessions.add_column("escalate")
    for entry in summary.sessions[:max_rows]:
        escalated = bool(entry.reasons)
        style = _SEVERITY_STYLE.get(entry.severity or "", "") if escalated else ""
        sessions.add_row(
            entry.session_id,
            entry.condition or "-",
            f"{entry.fidelity:.2f}",
            ", ".join(entry.failures) or "[green]none[/]",
            _styled(f"yes ({entry.severity or 'review'})", style) if escalated else "no",
        )
    if summary.items > max_rows:
        sessions.caption = f"first {max_rows} of {summary.items} sessions; export the run for all"
    console.print(sessions)

    order = {"human": 0, "base": 1, "overlay": 2}
    conditions = sorted(summary.conditions, key=lambda c: (order.get(c, 3), c))
    if len(conditions) > 1:
        side = Table(title="Conditions side by side", title_justify="left")
        for column in ("condition", "sessions", "fidelity mean", "escalated"):
            side.add_column(column, justify="left" if column == "condition" else "right")
        for name in conditions:
            c = summary.conditions[name]
            share = 100 * c.escalated / c.items if c.items else 0.0
            side.add_row(
                name, str(c.items), f"{c.fidelity_mean:.2f}", f"{c.escalated} ({share:.0f}%)"
            )
        console.print(side)

    checks = Table(title="Checks", title_justify="left")
    checks.add_column("check")
    for name in conditions:
        checks.add_column(f"pass % ({name})" if len(conditions) > 1 else "pass %", justify="right")
    checks.add_column("unsure", justify="right")
    for name, rate in summary.checks.items():
        cells = []
        for condition in conditions:
            r = summary.conditions[condition].checks.get(name)
            cells.append(f"{100 * r.pass_rate:5.1f}" if r and r.total else "-")
        checks.add_row(name, *cells, str(rate.unsure))
    console.print(checks)

    if summary.graders:
        graders = Table(title="Graders: testing criteria and learned", title_justify="left")
        for column in ("grader", "passed", "failed", "errored", "mean score"):
            graders.add_column(column, justify="left" if column == "grader" else "right")
        for name, grader in summary.graders.items():
            mean = "-" if grader.mean_score is None else f"{grader.mean_score:.2f}"
            errored = f"[red]{grader.errored}[/]" if grader.errored else "0"
            graders.add_row(name, str(grader.passed), str(grader.failed), errored, mean)
        console.print(graders)

    if summary.failures:
        taxonomy = Table(title="Failure taxonomy", title_justify="left")
        taxonomy.add_column("failure")
        taxonomy.add_column("sessions", justify="right")
        taxonomy.add_column("escalated", justify="right")
        for name, count in sorted(summary.failures.items(), key=lambda kv: -kv[1]):
            taxonomy.add_row(name, str(count), str(summary.failures_escalated.get(name, 0)))
        console.print(taxonomy)

    if summary.queue:
        queue = Table(title="Review queue (most severe first)", title_justify="left")
        queue.add_column("session", overflow="fold")
        queue.add_column("severity")
        queue.add_column("why", overflow="fold")
        if len(summary.queue) > max_rows:
            queue.caption = f"{max_rows} most severe of {summary.escalated}; export the run for all"
        for entry in summary.queue[:max_rows]:
            style = _SEVERITY_STYLE.get(entry.severity or "", "")
            queue.add_row(
                entry.item_key, _styled(entry.severity or "-", style), "; ".join(entry.reasons)
            )
        console.print(queue)

    d = summary.dashboard
    console.print(
        f"[bold]{summary.items}[/] sessions · fidelity mean [bold]{summary.fidelity_mean:.2f}[/] · "
        f"escalated [bold]{summary.escalated}[/] ({100 * d.get('escalation_rate', 0):.0f}%) · "
        f"errored {summary.errored} · diagnosis first {d.get('pct_diagnosis_first', 0):.0f}% · "
        f"questions/turn {d.get('questions_per_tutor_turn', 0):.2f} · "
        f"reinforcement {d.get('pct_reinforcement', 0):.0f}%"
        + (f" · judge decided checks in {summary.judged}" if summary.judged else "")
    )
