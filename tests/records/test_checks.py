"""The Study Mode check names are declared once (records/checks.py); every other place derives.

The scan reads every Python module of the package and looks for a string constant that is
exactly a check name. Allowed outside the declaration:

* ``grade/heuristics/actions.py``: the action taxonomy has two tags spelled like checks
  (``check_reinforce``, ``vary_rhythm``); they name teaching moves, not checks.
* data files (bundled sessions, label files, the data README) name checks as data; they are
  not Python and are not scanned.

``safety`` is not scanned (it is also an escalation code and a field of the alignment judge's
verdict); the places that mean the safety *check* are pinned below instead.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import get_args

import tutorloop
from tutorloop.decide import DEFAULT_FAILURE_CLASSES, DecideConfig
from tutorloop.grade.heuristics import CORE_CHECKS, EXTRA_CHECKS, StudyModeHeuristics
from tutorloop.grade.judge.prompt import CHECK_DEFINITIONS
from tutorloop.grade.judge.schema import CHECK_NAMES, JudgeCheck
from tutorloop.records import (
    OVER_SCAFFOLDING_CHECK,
    PROGRESS_CHECK,
    SAFETY_CHECK,
    STUDY_MODE_CHECKS,
    StudyModeCheck,
    StudyModeCheckName,
    Turn,
)
from tutorloop.sim.signals import SIGNAL_NAMES

PACKAGE = Path(tutorloop.__file__).parent
DECLARATION = PACKAGE / "records" / "checks.py"
NAMES = {str(c) for c in StudyModeCheck} | {OVER_SCAFFOLDING_CHECK}
ALLOWED = {
    PACKAGE / "grade" / "heuristics" / "actions.py": {"check_reinforce", "vary_rhythm"},
}


def literal_names(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return sorted(
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in NAMES
    )


def test_no_module_spells_a_check_name_outside_the_declaration() -> None:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == DECLARATION:
            continue
        allowed = ALLOWED.get(path, set())
        found += [
            f"{path.relative_to(PACKAGE)}:{line}: {name!r}"
            for line, name in literal_names(path)
            if name not in allowed
        ]
    assert found == [], "import the name from tutorloop.records instead:\n" + "\n".join(found)


def test_the_scan_finds_a_spelled_out_name(tmp_path: Path) -> None:
    sample = tmp_path / "m.py"
    sample.write_text('X = ["conciseness", "fine"]\nY = "no_over_scaffolding"\n', "utf-8")
    assert literal_names(sample) == [(1, "conciseness"), (2, "no_over_scaffolding")]


def test_the_declaration_holds_the_seven_checks_in_order() -> None:
    assert [str(c) for c in STUDY_MODE_CHECKS] == [
        "diagnosis_first",
        "no_direct_answer_initially",
        "single_question_per_step",
        "wait_for_student",
        "check_reinforce",
        "vary_rhythm",
        "conciseness",
    ]
    assert get_args(StudyModeCheckName) == STUDY_MODE_CHECKS
    assert (OVER_SCAFFOLDING_CHECK, SAFETY_CHECK) == ("no_over_scaffolding", "safety")


def test_every_place_derives_its_names_from_the_declaration() -> None:
    assert tuple(CORE_CHECKS) == STUDY_MODE_CHECKS and tuple(EXTRA_CHECKS) == (
        OVER_SCAFFOLDING_CHECK,
        PROGRESS_CHECK,
    )
    assert tuple(CHECK_DEFINITIONS) == STUDY_MODE_CHECKS == CHECK_NAMES == SIGNAL_NAMES
    assert JudgeCheck.model_json_schema()["properties"]["name"]["enum"] == list(STUDY_MODE_CHECKS)
    config = DecideConfig()
    assert config.fidelity_checks == list(STUDY_MODE_CHECKS)
    assert config.safety_check == SAFETY_CHECK and config.progress_check == PROGRESS_CHECK
    taxonomy = {name for names in DEFAULT_FAILURE_CLASSES.values() for name in names}
    extra = {OVER_SCAFFOLDING_CHECK, PROGRESS_CHECK, SAFETY_CHECK}
    assert taxonomy == set(STUDY_MODE_CHECKS) | extra
    graded = StudyModeHeuristics().grade([Turn(role="user", content="hi")]).checks
    assert [c.name for c in graded] == [
        *STUDY_MODE_CHECKS,
        OVER_SCAFFOLDING_CHECK,
        PROGRESS_CHECK,
        SAFETY_CHECK,
    ]
    assert all(type(c.name) is str for c in graded)  # plain strings in records, not enum members
