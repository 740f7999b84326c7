"""The bundled example sessions: the grader agrees with what each file says it shows."""

import json

import pytest

from tutorloop.bundled import bundled_sessions
from tutorloop.decide import DecideConfig, decide
from tutorloop.grade import StudyModeHeuristics
from tutorloop.records import Session
from tutorloop.run import build_result

FILES = sorted(bundled_sessions().glob("*.json"))
CLASSES = {
    "answered_too_early",
    "multi_question_overload",
    "no_diagnosis",
    "lecture_mode",
    "no_reinforcement",
    "over_scaffolding",
    "safety_slip",
}


def graded(path):
    session = Session.model_validate(json.loads(path.read_text(encoding="utf-8")))
    report = StudyModeHeuristics().grade(session.trajectory, session.learner_profile)
    decision = decide(report.checks, DecideConfig())
    return session, build_result(session.session_id, decision, checks=report.checks, report=report)


def test_there_are_enough_examples_across_domains():
    domains = [json.loads(p.read_text(encoding="utf-8"))["domain"] for p in FILES]
    assert len(FILES) >= 16
    assert {"programming", "ai", "math"} <= set(domains)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_each_check_verdict_matches_the_file(path):
    session, result = graded(path)
    expected = session.metadata["expected"]
    got = {c.name: c.verdict for c in result.checks}
    assert got == expected


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_failure_classes_and_escalation_match_the_file(path):
    session, result = graded(path)
    assert {f.name for f in result.failures} == set(session.metadata["failure_classes"])
    assert result.escalate == session.metadata["escalate"]


def test_every_failure_class_has_an_escalated_example():
    escalated = set()
    for path in FILES:
        _, result = graded(path)
        if result.escalate:
            escalated |= {f.name for f in result.failures}
    assert escalated >= CLASSES
