"""The heuristics build their checks without validating them: each equals the validated one."""

from pydantic import TypeAdapter

from tutorloop.bundled import bundled_sessions, synthetic_session
from tutorloop.grade import StudyModeHeuristics
from tutorloop.load import iter_items
from tutorloop.records import EvalCheck, Turn

CHECKS = TypeAdapter(list[EvalCheck])


def trajectories():
    for item in iter_items([bundled_sessions()]):
        yield item.trajectory
    for i in range(60):
        session = synthetic_session(i, 3 + i % 14)
        yield [Turn.model_validate(t) for t in session["trajectory"]]  # type: ignore[union-attr]


def test_built_checks_equal_validated_ones():
    heuristics = StudyModeHeuristics()
    for trajectory in trajectories():
        checks = heuristics.grade(trajectory).checks
        validated = CHECKS.validate_python([c.model_dump() for c in checks])
        assert checks == validated
        for got, want in zip(checks, validated, strict=True):
            assert got.model_fields_set == want.model_fields_set
            assert got.model_dump_json() == want.model_dump_json()
            for field in type(got).model_fields:
                assert type(getattr(got, field)) is type(getattr(want, field)), field
            for a, b in zip(got.evidence, want.evidence, strict=True):
                assert a.model_fields_set == b.model_fields_set
                assert {k: type(v) for k, v in vars(a).items()} == {
                    k: type(v) for k, v in vars(b).items()
                }
