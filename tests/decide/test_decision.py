"""Fidelity, failure taxonomy and escalation from checks."""

import pytest

from tutorloop.decide import CRITERIA_NOTE, DecideConfig, decide, decide_criteria, fidelity
from tutorloop.records import EvalCheck, GraderError, GraderResult

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
    result = decide(checks(), DecideConfig())
    assert not result.escalate and result.failures == [] and result.severity is None


def test_low_fidelity_escalates_with_a_reason():
    failed = {"diagnosis_first", "check_reinforce", "conciseness"}
    result = decide(checks(failed=failed), DecideConfig())
    assert result.escalate
    assert [r.code for r in result.escalation_reasons] == ["low_fidelity"]
    assert {f.name for f in result.failures} == {"no_diagnosis", "no_reinforcement", "lecture_mode"}
    assert result.severity == "medium"


def test_severe_failures_escalate_even_with_high_fidelity():
    result = decide(checks(failed={"no_direct_answer_initially"}), DecideConfig())
    assert result.escalate and result.escalation_reasons[0].code == "severe_failure"
    assert result.severity == "high"


def test_safety_slip_is_critical_and_zeroes_fidelity():
    result = decide(checks(safety=False), DecideConfig())
    assert result.fidelity == 0.0
    assert {r.code for r in result.escalation_reasons} == {"low_fidelity", "safety"}
    assert result.severity == "critical"


def test_unsure_is_not_a_failure_but_can_escalate_when_asked():
    result = decide(checks(unsure={"check_reinforce"}), DecideConfig())
    assert result.failures == [] and not result.escalate
    strict = decide(checks(unsure={"check_reinforce"}), DecideConfig(escalate_on_unsure=True))
    assert strict.escalate and strict.escalation_reasons[0].code == "unsure"


def test_grader_errors_escalate():
    result = decide(checks(), DecideConfig(), errors=["judge timed out"])
    assert result.escalate and result.escalation_reasons[0].code == "grader_error"


def test_every_failure_class_needs_a_severity():
    with pytest.raises(ValueError, match="without a severity: new_class"):
        DecideConfig(failure_classes={"new_class": ["conciseness"]}, severity={})


def test_the_judge_disagreeing_or_unsure_escalates_with_reasons():
    judged = checks()
    judged[2] = EvalCheck(name=SEVEN[2], passed=True, verdict="unsure", source="judge")
    result = decide(judged, DecideConfig(), disagreements=["conciseness"])
    assert [r.code for r in result.escalation_reasons] == ["unsure", "judge_disagreement"]
    assert "single_question_per_step" in result.escalation_reasons[0].message


def test_a_dataset_item_is_decided_by_the_share_of_graders_that_passed():
    results = [
        GraderResult(name="a", type="string_check", passed=True, score=1.0),
        GraderResult(name="b", type="string_check", passed=False, score=0.0),
        GraderResult(name="c", type="python", error=GraderError(type="Crash", message="boom")),
        GraderResult(name="d", type="score_model", score=0.4),
    ]
    decision = decide_criteria(results)
    assert decision.fidelity == 0.5 and decision.escalate and decision.basis == "criteria"
    assert [(r.code, r.message) for r in decision.escalation_reasons] == [
        ("grader_error", "grader c: boom"),
        ("severe_failure", "failed: b"),
    ]
    assert decision.notes == CRITERIA_NOTE and decision.failures == []
    assert not decide_criteria(results[:1]).escalate
    assert decide_criteria([]).fidelity == 0.0
