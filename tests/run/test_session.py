"""An EvalResult is built in exactly one place (run/session.py: build_result), never patched."""

from __future__ import annotations

import ast
import json
from collections.abc import Set
from pathlib import Path

import tutorloop
from tutorloop.bundled import bundled_sessions
from tutorloop.decide import CRITERIA_NOTE, DecideConfig, decide, decide_criteria
from tutorloop.grade import StudyModeHeuristics
from tutorloop.load import iter_items
from tutorloop.records import EvalResult, GraderResult
from tutorloop.run import SessionGrader, build_result, criteria_outcome

PACKAGE = Path(tutorloop.__file__).parent
BUILDER = PACKAGE / "run" / "session.py"
DECISION_FIELDS = {
    "pedagogical_fidelity_score", "escalate", "escalation_reasons", "failures", "severity",
    "actions", "metrics", "graders", "evaluated_at",
}  # fmt: skip
NOT_RESULTS = {"grade/heuristics/view.py": {"view.actions"}}
"""Assignments to fields of the same name on other objects (a session view's action tags)."""


def constructions(tree: ast.AST) -> list[int]:
    """Lines that call ``EvalResult(...)`` or ``EvalResult.model_construct(...)``."""
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "model_construct":
            func = func.value
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if name == "EvalResult":
            lines.append(node.lineno)
    return lines


def patches(tree: ast.AST, allowed: Set[str] = frozenset()) -> list[int]:
    """Lines that assign an EvalResult-only field of an object after it was built."""
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign | ast.AugAssign)
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Attribute)
        and target.attr in DECISION_FIELDS
        and ast.unparse(target) not in allowed
    ]


def test_eval_result_is_constructed_only_by_build_result() -> None:
    found: dict[str, list[int]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        lines = constructions(tree)
        if lines:
            found[str(path.relative_to(PACKAGE))] = lines
    assert list(found) == ["run/session.py"], found
    assert len(found["run/session.py"]) == 1


def test_no_module_patches_a_result_after_it_is_built() -> None:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        lines = patches(tree, NOT_RESULTS.get(str(path.relative_to(PACKAGE)), set()))
        if lines:
            found[str(path.relative_to(PACKAGE))] = lines
    assert found == {}


def test_the_scans_find_what_they_look_for() -> None:
    source = "r = EvalResult(a=1)\ns = records.EvalResult.model_construct()\nr.graders = []\n"
    tree = ast.parse(source)
    assert constructions(tree) == [1, 2] and patches(tree) == [3]


def test_a_graded_session_is_the_decision_plus_the_heuristics() -> None:
    item = next(iter(iter_items([bundled_sessions() / "math.fractions.add.101.json"])))
    result = SessionGrader().grade(item)
    report = StudyModeHeuristics().grade(item.trajectory, item.learner_profile)
    decision = decide(report.checks, DecideConfig())
    assert result.pedagogical_fidelity_score == decision.fidelity
    assert result.escalate == decision.escalate
    assert result.failures == decision.failures and result.severity == decision.severity
    assert result.escalation_reasons == decision.escalation_reasons
    assert result.checks == report.checks and result.actions == report.actions
    assert result.metrics == report.metrics and result.graders == []
    assert result.condition is None and result.domain == item.domain
    assert result.evaluated_at is not None and result.notes is None


def test_a_dataset_result_keeps_its_json() -> None:
    results = [
        GraderResult(name="a", type="string_check", passed=True, score=1.0, version="v"),
        GraderResult(name="b", type="string_check", passed=False, score=0.0, version="v"),
    ]
    built = build_result("k", decide_criteria(results), graders=results)
    assert json.loads(built.model_dump_json()) == {
        "schema_version": 2,
        "session_id": "k",
        "pedagogical_fidelity_score": 0.5,
        "escalate": True,
        "checks": [],
        "notes": CRITERIA_NOTE,
        "evaluated_at": None,
        "condition": None,
        "domain": None,
        "failures": [],
        "escalation_reasons": [{"code": "severe_failure", "message": "failed: b"}],
        "severity": None,
        "actions": [],
        "metrics": {},
        "graders": [r.model_dump(mode="json") for r in results],
        "judge": None,
    }
    assert "checks" not in built.model_dump()["graders"][0]  # a grader without checks
    outcome = criteria_outcome("run", "k", "file.jsonl", results)
    assert outcome.result == built and [g.grader for g in outcome.grades] == [
        "criteria.a",
        "criteria.b",
    ]
    assert EvalResult.model_validate_json(built.model_dump_json()) == built
