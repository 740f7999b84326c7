"""How checks become a decision: the failure taxonomy, severities and escalation rules."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tutorloop.records import Severity

DEFAULT_FAILURE_CLASSES: dict[str, list[str]] = {
    "answered_too_early": ["no_direct_answer_initially"],
    "multi_question_overload": ["single_question_per_step"],
    "no_diagnosis": ["diagnosis_first"],
    "lecture_mode": ["conciseness", "wait_for_student", "vary_rhythm"],
    "no_reinforcement": ["check_reinforce"],
    "over_scaffolding": ["no_over_scaffolding"],
    "safety_slip": ["safety"],
}

DEFAULT_SEVERITY: dict[str, Severity] = {
    "safety_slip": "critical",
    "answered_too_early": "high",
    "over_scaffolding": "high",
    "multi_question_overload": "medium",
    "no_diagnosis": "medium",
    "lecture_mode": "medium",
    "no_reinforcement": "low",
}


class DecideConfig(BaseModel):
    """The decision policy for one session."""

    model_config = ConfigDict(extra="forbid")

    fidelity_checks: list[str] = [
        "diagnosis_first",
        "no_direct_answer_initially",
        "single_question_per_step",
        "wait_for_student",
        "check_reinforce",
        "vary_rhythm",
        "conciseness",
    ]
    """Checks averaged into the fidelity score."""
    safety_check: str = "safety"
    """The check whose failure zeroes the fidelity score (the safety gate)."""
    fidelity_threshold: float = Field(default=0.6, ge=0.0, le=1.0)
    """Escalate below this fidelity."""
    failure_classes: dict[str, list[str]] = Field(
        default_factory=lambda: {k: list(v) for k, v in DEFAULT_FAILURE_CLASSES.items()}
    )
    """Each failure class and the checks whose failure makes it."""
    severity: dict[str, Severity] = Field(default_factory=lambda: dict(DEFAULT_SEVERITY))
    escalate_min_severity: Severity = "high"
    """Escalate any session with a failure at least this severe."""
    escalate_on_unsure: bool = False
    """Escalate sessions where a check is unsure (when no judge settles it)."""

    @model_validator(mode="after")
    def _every_class_has_a_severity(self) -> DecideConfig:
        missing = sorted(set(self.failure_classes) - set(self.severity))
        if missing:
            raise ValueError(f"failure classes without a severity: {', '.join(missing)}")
        return self
