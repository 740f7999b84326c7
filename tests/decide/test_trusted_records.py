"""The decision builds failures and reasons without validating: each equals the validated one."""

from tutorloop.bundled import bundled_sessions
from tutorloop.decide import DecideConfig, decide
from tutorloop.grade import StudyModeHeuristics
from tutorloop.load import iter_items
from tutorloop.records import EscalationReason, Failure


def test_failures_and_reasons_equal_validated_ones():
    heuristics = StudyModeHeuristics()
    config = DecideConfig()
    seen = 0
    for item in iter_items([bundled_sessions()]):
        decision = decide(heuristics.grade(item.trajectory).checks, config)
        for failure in decision.failures:
            again = Failure.model_validate(failure.model_dump())
            assert again == failure and again.model_fields_set == failure.model_fields_set
            assert {k: type(v) for k, v in vars(again).items() if k != "evidence"} == {
                k: type(v) for k, v in vars(failure).items() if k != "evidence"
            }
            seen += 1
        for reason in decision.escalation_reasons:
            again_reason = EscalationReason.model_validate(reason.model_dump())
            assert again_reason == reason
            assert type(reason.code) is str and type(reason.message) is str
    assert seen
