"""From checks to a decision: fidelity, failure taxonomy, escalation and its reasons.

The decision is a pure function of the checks (or, for a dataset item, of the testing-criteria
graders' results); :func:`tutorloop.run.build_result` puts it into the item's
:class:`~tutorloop.records.EvalResult`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from tutorloop.decide.config import DecideConfig
from tutorloop.records import (
    SEVERITY_ORDER,
    EscalationReason,
    EvalCheck,
    Failure,
    GraderResult,
    Severity,
    trusted,
)

CRITERIA_NOTE = "dataset item: the score is the share of testing-criteria graders that passed"
"""The notes of a decision over testing-criteria graders."""


@dataclass(frozen=True)
class Decision:
    """What is decided about one item: its score, failures and why it is escalated."""

    fidelity: float
    """The pedagogical fidelity score (for a dataset item: the share of graders that passed)."""
    failures: list[Failure] = field(default_factory=list)
    escalation_reasons: list[EscalationReason] = field(default_factory=list)
    severity: Severity | None = None
    """The highest severity among the failures; orders the review queue."""
    notes: str | None = None
    basis: Literal["checks", "criteria"] = "checks"
    """What the decision rests on: a session's checks, or a dataset item's graders."""

    @property
    def escalate(self) -> bool:
        """Whether a person must review the item (it has an escalation reason)."""
        return bool(self.escalation_reasons)


def fidelity(checks: Sequence[EvalCheck], config: DecideConfig) -> float:
    """Mean of the fidelity checks that are present, times the safety and progress gates (0 or 1).

    The progress gate closes only on a sure failure (``verdict == "fail"``): a session whose
    turns look right but that does not move earns no fidelity.
    """
    by_name = {c.name: c for c in checks}
    scored = [by_name[name].passed for name in config.fidelity_checks if name in by_name]
    if not scored:
        return 0.0
    safety = by_name.get(config.safety_check)
    gate = 0.0 if safety is not None and not safety.passed else 1.0
    progress = by_name.get(config.progress_check) if config.progress_check else None
    if progress is not None and progress.verdict == "fail":
        gate = 0.0
    return round(sum(scored) / len(scored) * gate, 6)


def failures(checks: Sequence[EvalCheck], config: DecideConfig) -> list[Failure]:
    """The failure classes whose named checks failed (surely: *unsure* is not a failure)."""
    failed = {c.name: c for c in checks if c.verdict == "fail"}
    found: list[Failure] = []
    if not failed:
        return found
    for name, names in config.failure_classes.items():
        hit = [failed[n] for n in names if n in failed]
        if hit:
            found.append(
                trusted(  # every value is already valid: names, a severity, built evidence
                    Failure,
                    {
                        "name": name,
                        "severity": config.severity[name],
                        "checks": [c.name for c in hit],
                        "evidence": [e for c in hit for e in c.evidence],
                    },
                )
            )
    return found


def decide(
    checks: Sequence[EvalCheck],
    config: DecideConfig,
    *,
    errors: Sequence[str] = (),
    disagreements: Sequence[str] = (),
) -> Decision:
    """Decide about one session: score, failures, escalation and its reasons.

    ``errors`` are messages of graders that failed on this session; ``disagreements`` name the
    checks where the judge and the heuristics disagree. Each is an escalation reason, and so is
    a judge-sourced check that is unsure.
    """
    score = fidelity(checks, config)
    found = failures(checks, config)
    reasons: list[EscalationReason] = []
    if score < config.fidelity_threshold:
        reasons.append(
            _reason(
                "low_fidelity",
                f"fidelity {score:.2f} is below {config.fidelity_threshold:.2f}",
            )
        )
    bar = SEVERITY_ORDER[config.escalate_min_severity]
    for failure in found:
        if failure.name == "safety_slip" or config.safety_check in failure.checks:
            reasons.append(_reason("safety", _describe(failure, checks)))
        elif SEVERITY_ORDER[failure.severity] >= bar:
            reasons.append(_reason("severe_failure", _describe(failure, checks)))
    judge_unsure = [c.name for c in checks if c.verdict == "unsure" and c.source == "judge"]
    if judge_unsure:
        reasons.append(_reason("unsure", f"the judge is unsure: {', '.join(judge_unsure)}"))
    elif config.escalate_on_unsure:
        unsure = [c.name for c in checks if c.verdict == "unsure"]
        if unsure:
            reasons.append(_reason("unsure", f"unsure checks: {', '.join(unsure)}"))
    if disagreements:
        reasons.append(
            _reason(
                "judge_disagreement",
                f"the judge and the heuristics disagree on {', '.join(disagreements)}",
            )
        )
    reasons.extend(EscalationReason(code="grader_error", message=m) for m in errors)
    severity: Severity | None = None
    if found:
        severity = max(found, key=lambda f: SEVERITY_ORDER[f.severity]).severity
    return Decision(fidelity=score, failures=found, escalation_reasons=reasons, severity=severity)


def decide_criteria(results: Sequence[GraderResult]) -> Decision:
    """Decide about a dataset item graded only by testing-criteria graders.

    The score is the share of the graders with a verdict that passed; a grader that failed to
    grade, and any grader that did not pass, are escalation reasons.
    """
    graded = [r for r in results if r.error is None and r.passed is not None]
    share = sum(1 for r in graded if r.passed) / len(graded) if graded else 0.0
    reasons = [
        EscalationReason(code="grader_error", message=f"grader {r.name}: {r.error.message}")
        for r in results
        if r.error
    ]
    failed = [r.name for r in graded if not r.passed]
    if failed:
        reasons.append(
            EscalationReason(code="severe_failure", message=f"failed: {', '.join(failed)}")
        )
    return Decision(
        fidelity=share, escalation_reasons=reasons, notes=CRITERIA_NOTE, basis="criteria"
    )


def _reason(code: str, message: str) -> EscalationReason:
    """An escalation reason of a known ``code`` (built without validating it)."""
    return trusted(EscalationReason, {"code": code, "message": message})


def _describe(failure: Failure, checks: Sequence[EvalCheck]) -> str:
    reasons = [c.reason for c in checks if c.name in failure.checks and c.reason]
    detail = f": {reasons[0]}" if reasons else ""
    return f"{failure.name} ({failure.severity}){detail}"
