"""A run's gates as a Markdown job summary (GitHub's ``$GITHUB_STEP_SUMMARY``).

The verdict, every gate with its value (and, when a base run is given, the base's value and the
change), the headline metrics against the base, the most frequent failures and the sessions a
person should review first.
"""

from __future__ import annotations

from pathlib import Path

from tutorloop.analyse import RunSummary
from tutorloop.pulse import GateOutcome

_HEADLINE = ("fidelity_mean", "escalation_rate", "safety_slip_count", "overlay_minus_base_fidelity")


def _num(value: float | None) -> str:
    return "–" if value is None else f"{value:.3g}"


def _delta(now: float | None, before: float | None) -> str:
    if now is None or before is None:
        return "–"
    return f"{now - before:+.3g}"


def summary_markdown(
    outcome: GateOutcome,
    summary: RunSummary,
    base: GateOutcome | None = None,
    *,
    top: int = 10,
) -> str:
    """The job summary of ``outcome`` (with deltas against ``base`` when given)."""
    report = outcome.report
    verdict = "✅ required gates pass" if report.required_pass else "❌ a required gate failed"
    lines = [f"## tutorloop: {verdict}", "", f"Run `{outcome.run_id}` ({outcome.run_status})"]
    if base is not None:
        lines[-1] += f", compared with the base run `{base.run_id}`"
    lines += ["", "### Gates", ""]
    base_values = {row.name: row.value for row in base.report.rows} if base else {}
    head = "| gate | kind | condition | value |"
    rule = "|---|---|---|---|"
    if base is not None:
        head += " base | change |"
        rule += "---|---|"
    lines += [head + " result |", rule + "---|"]
    for row in report.rows:
        kind = "required" if row.required else "advisory"
        line = f"| {row.name} | {kind} | `{row.condition}` | {_num(row.value)} |"
        if base is not None:
            before = base_values.get(row.name)
            line += f" {_num(before)} | {_delta(row.value, before)} |"
        mark = "pass" if row.passed else ("**FAIL**" if row.required else "false")
        lines.append(f"{line} {mark}: {row.reason} |")
    if base is not None:
        lines += ["", "### Against the base run", "", "| metric | base | now | change |"]
        lines.append("|---|---|---|---|")
        for name in _HEADLINE:
            now, before = outcome.metrics.get(name), base.metrics.get(name)
            if now is None and before is None:
                continue
            lines.append(f"| {name} | {_num(before)} | {_num(now)} | {_delta(now, before)} |")
    failures = sorted(summary.failures.items(), key=lambda kv: (-kv[1], kv[0]))
    if failures:
        lines += ["", "### Top failures", "", "| failure | sessions |", "|---|---|"]
        lines += [f"| {name} | {count} |" for name, count in failures[:top] if count]
    if summary.queue:
        lines += ["", f"### Review first ({len(summary.queue)} escalated)", ""]
        lines += [
            "| session | condition | severity | fidelity | failures |",
            "|---|---|---|---|---|",
        ]
        for entry in summary.queue[:top]:
            lines.append(
                f"| {entry.session_id} | {entry.condition or '–'} | {entry.severity or '–'} | "
                f"{entry.fidelity:.2f} | {', '.join(entry.failures) or '–'} |"
            )
    return "\n".join(lines) + "\n"


def append_summary(path: Path, text: str) -> Path:
    """Append ``text`` to ``path`` (a job summary file collects every step's text)."""
    with path.open("a", encoding="utf-8") as file:
        file.write(text)
    return path
