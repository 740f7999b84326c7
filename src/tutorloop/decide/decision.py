"""From checks to an :class:`EvalResult`: fidelity, failure taxonomy and escalation."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from tutorloop.decide.config import DecideConfig
from tutorloop.records import (
    SEVERITY_ORDER,
    EscalationReason,
    EvalCheck,
    EvalResult,
    Failure,
    Severity,
)


def fidelity(checks: Sequence[EvalCheck], config: DecideConfig) -> float:
    """Mean of the fidelity checks that are present, times the safety gate (0 or 1)."""
    by_name = {c.name: c for c in checks}
    scored = [by_name[name].passed for name in config.fidelity_checks if name in by_name]
    if not scored:
        return 0.0
    safety = by_name.get(config.safety_check)
    gate = 0.0 if safety is not None and not safety.passed else 1.0
    return round(sum(scored) / len(scored) * gate, 6)


def failures(checks: Sequence[EvalCheck], config: DecideConfig) -> list[Failure]:
    """The failure classes whose named checks failed (surely: *unsure* is not a failure)."""
    failed = {c.name: c for c in checks if c.verdict == "fail"}
    found = []
    for name, names in config.failure_classes.items():
        hit = [failed[n] for n in names if n in failed]
        if hit:
            found.append(
                Failure(
                    name=name,
                    severity=config.severity[name],
                    checks=[c.name for c in hit],
                    evidence=[e for c in hit for e in c.evidence],
                )
            )
    return found


def decide(
    session_id: str,
    checks: list[EvalCheck],
    config: DecideConfig,
    *,
    errors: Sequence[str] = (),
    disagreements: Sequence[str] = (),
) -> EvalResult:
    """Judge one session: score, failures, escalation and its reasons.

    ``errors`` are messages of graders that failed on this session; ``disagreements`` name the
    checks where the judge and the heuristics disagree. Each is an escalation reason, and so is
    a judge-sourced check that is unsure.
    """
    score = fidelity(checks, config)
    found = failures(checks, config)
    reasons: list[EscalationReason] = []
    if score < config.fidelity_threshold:
        reasons.append(
            EscalationReason(
                code="low_fidelity",
                message=f"fidelity {score:.2f} is below {config.fidelity_threshold:.2f}",
            )
        )
    bar = SEVERITY_ORDER[config.escalate_min_severity]
    for failure in found:
        if failure.name == "safety_slip" or config.safety_check in failure.checks:
            reasons.append(EscalationReason(code="safety", message=_describe(failure, checks)))
        elif SEVERITY_ORDER[failure.severity] >= bar:
            reasons.append(
                EscalationReason(code="severe_failure", message=_describe(failure, checks))
            )
    judge_unsure = [c.name for c in checks if c.verdict == "unsure" and c.source == "judge"]
    if judge_unsure:
        reasons.append(
            EscalationReason(
                code="unsure", message=f"the judge is unsure: {', '.join(judge_unsure)}"
            )
        )
    elif config.escalate_on_unsure:
        unsure = [c.name for c in checks if c.verdict == "unsure"]
        if unsure:
            reasons.append(
                EscalationReason(code="unsure", message=f"unsure checks: {', '.join(unsure)}")
            )
    if disagreements:
        reasons.append(
            EscalationReason(
                code="judge_disagreement",
                message=f"the judge and the heuristics disagree on {', '.join(disagreements)}",
            )
        )
    reasons.extend(EscalationReason(code="grader_error", message=m) for m in errors)
    severity: Severity | None = None
    if found:
        severity = max(found, key=lambda f: SEVERITY_ORDER[f.severity]).severity
    return EvalResult(
        session_id=session_id,
        pedagogical_fidelity_score=score,
        escalate=bool(reasons),
        checks=checks,
        evaluated_at=datetime.now(UTC).isoformat(timespec="seconds"),
        failures=found,
        escalation_reasons=reasons,
        severity=severity,
    )


def _describe(failure: Failure, checks: Sequence[EvalCheck]) -> str:
    reasons = [c.reason for c in checks if c.name in failure.checks and c.reason]
    detail = f": {reasons[0]}" if reasons else ""
    return f"{failure.name} ({failure.severity}){detail}"
