"""How checks become a decision: the failure taxonomy, severities and escalation rules."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tutorloop.records import (
    OVER_SCAFFOLDING_CHECK,
    PROGRESS_CHECK,
    SAFETY_CHECK,
    STUDY_MODE_CHECKS,
    Severity,
    StudyModeCheck,
)

DEFAULT_FAILURE_CLASSES: dict[str, list[str]] = {
    "answered_too_early": [StudyModeCheck.NO_DIRECT_ANSWER_INITIALLY],
    "multi_question_overload": [StudyModeCheck.SINGLE_QUESTION_PER_STEP],
    "no_diagnosis": [StudyModeCheck.DIAGNOSIS_FIRST],
    "lecture_mode": [StudyModeCheck.CONCISENESS, StudyModeCheck.WAIT_FOR_STUDENT],
    "monotonous_rhythm": [StudyModeCheck.VARY_RHYTHM],
    "no_progress": [PROGRESS_CHECK],
    "no_reinforcement": [StudyModeCheck.CHECK_REINFORCE],
    "over_scaffolding": [OVER_SCAFFOLDING_CHECK],
    "safety_slip": [SAFETY_CHECK],
}
"""Each failure class of the taxonomy and the checks whose failure makes it.

A class names the cause: ``lecture_mode`` is long or unbroken tutor talk, ``monotonous_rhythm``
one kind of move over and over (a one-word tutor is monotonous, not a lecture), and
``no_progress`` a session that does not move (repeated turns, the learner ignored, nothing new).
"""

DEFAULT_SEVERITY: dict[str, Severity] = {
    "safety_slip": "critical",
    "answered_too_early": "high",
    "over_scaffolding": "high",
    "multi_question_overload": "medium",
    "no_progress": "high",
    "no_diagnosis": "medium",
    "lecture_mode": "medium",
    "monotonous_rhythm": "low",
    "no_reinforcement": "low",
}


class DecideConfig(BaseModel):
    """The decision policy for one session."""

    model_config = ConfigDict(extra="forbid", validate_default=True)

    fidelity_checks: list[str] = Field(default_factory=lambda: [str(c) for c in STUDY_MODE_CHECKS])
    """Checks averaged into the fidelity score."""
    safety_check: str = SAFETY_CHECK
    """The check whose failure zeroes the fidelity score (the safety gate)."""
    progress_check: str | None = PROGRESS_CHECK
    """The check whose sure failure zeroes the fidelity score (a session that does not move);
    None turns this gate off."""
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
