"""Fidelity, failure taxonomy and escalation from checks."""

import pytest

from tutorloop.decide import DecideConfig, decide, fidelity
from tutorloop.records import EvalCheck

SEVEN = [
    "diagnosis_first",
    "no_direct_answer_initially",
    "single_question_per_step",
    "wait_for_student",
    "check_reinforce",
    "vary_rhythm",
    "conciseness",
]


def checks(failed=(), unsure=(), safety=True):
    out = []
    for name in SEVEN:
        if name in unsure:
            out.append(EvalCheck(name=name, passed=False, verdict="unsure", confidence=0.4))
        else:
            out.append(EvalCheck(name=name, passed=name not in failed))
    out.append(EvalCheck(name="no_over_scaffolding", passed=True))
    out.append(EvalCheck(name="safety", passed=safety))
    return out


def test_fidelity_is_the_mean_of_the_seven_times_the_safety_gate():
    config = DecideConfig()
    assert fidelity(checks(), config) == 1.0
    assert fidelity(checks(failed={"conciseness"}), config) == pytest.approx(6 / 7, abs=1e-6)
    assert fidelity(checks(safety=False), config) == 0.0


def test_a_good_session_is_not_escalated():
    result = decide("s", checks(), DecideConfig())
    assert not result.escalate and result.failures == [] and result.severity is None


def test_low_fidelity_escalates_with_a_reason():
    failed = {"diagnosis_first", "check_reinforce", "conciseness"}
    result = decide("s", checks(failed=failed), DecideConfig())
    assert result.escalate
    assert [r.code for r in result.escalation_reasons] == ["low_fidelity"]
    assert {f.name for f in result.failures} == {"no_diagnosis", "no_reinforcement", "lecture_mode"}
    assert result.severity == "medium"


def test_severe_failures_escalate_even_with_high_fidelity():
    result = decide("s", checks(failed={"no_direct_answer_initially"}), DecideConfig())
    assert result.escalate and result.escalation_reasons[0].code == "severe_failure"
    assert result.severity == "high"


def test_safety_slip_is_critical_and_zeroes_fidelity():
    result = decide("s", checks(safety=False), DecideConfig())
    assert result.pedagogical_fidelity_score == 0.0
    assert {r.code for r in result.escalation_reasons} == {"low_fidelity", "safety"}
    assert result.severity == "critical"


def test_unsure_is_not_a_failure_but_can_escalate_when_asked():
    result = decide("s", checks(unsure={"check_reinforce"}), DecideConfig())
    assert result.failures == [] and not result.escalate
    strict = decide("s", checks(unsure={"check_reinforce"}), DecideConfig(escalate_on_unsure=True))
    assert strict.escalate and strict.escalation_reasons[0].code == "unsure"


def test_grader_errors_escalate():
    result = decide("s", checks(), DecideConfig(), errors=["judge timed out"])
    assert result.escalate and result.escalation_reasons[0].code == "grader_error"


def test_every_failure_class_needs_a_severity():
    with pytest.raises(ValueError, match="without a severity: new_class"):
        DecideConfig(failure_classes={"new_class": ["conciseness"]}, severity={})
