"""A run's gates and failures as JUnit XML, the format CI systems show as test results.

Suite ``gates``: one test case per gate; a false required gate is a ``<failure>``, a false
advisory gate is ``<skipped>`` (it is reported, it does not block). Suite ``sessions``: one test
case per failed check of a session (a ``<failure>`` with the check's reason and evidence) and
one per errored item (an ``<error>``); passing sessions are not listed.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path

from tutorloop.pulse import GateReport
from tutorloop.store import StoredItem, atomic_write_text


def junit_xml(run_id: str, report: GateReport, items: Iterable[StoredItem]) -> str:
    """The JUnit XML document of ``report`` and the failed checks of ``items``."""
    root = ET.Element("testsuites", name=f"tutorloop {run_id}")
    gates = ET.SubElement(root, "testsuite", name="gates")
    failures = skipped = 0
    for row in report.rows:
        case = ET.SubElement(
            gates,
            "testcase",
            name=row.name,
            classname=f"tutorloop.gates.{'required' if row.required else 'advisory'}",
        )
        value = "no value" if row.value is None else f"{row.value:g}"
        text = f"{row.condition}: {value} ({row.reason})"
        if row.passed:
            continue
        if row.required:
            failures += 1
            ET.SubElement(case, "failure", message=text, type="GateFailed").text = text
        else:
            skipped += 1
            ET.SubElement(case, "skipped", message=f"advisory gate false: {text}")
    _count(gates, len(report.rows), failures, 0, skipped)
    sessions = ET.SubElement(root, "testsuite", name="sessions")
    cases = failures = errors = 0
    for item in items:
        classname = f"tutorloop.sessions.{item.condition or 'session'}"
        if item.status == "error":
            cases += 1
            errors += 1
            case = ET.SubElement(sessions, "testcase", name=item.item_key, classname=classname)
            message = item.error_message or "the item errored"
            ET.SubElement(case, "error", message=message, type=item.error_type or "Error")
            continue
        result = item.result
        if result is None:
            continue
        for check in result.checks:
            if check.passed is not False:
                continue
            cases += 1
            failures += 1
            case = ET.SubElement(
                sessions, "testcase", name=f"{item.item_key} :: {check.name}", classname=classname
            )
            reason = check.reason or "the check failed"
            failure = ET.SubElement(case, "failure", message=reason, type="CheckFailed")
            failure.text = f"{reason}\nevidence: {check.evidence_snippet or '(none)'}"
    _count(sessions, cases, failures, errors, 0)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _count(suite: ET.Element, tests: int, failures: int, errors: int, skipped: int) -> None:
    suite.set("tests", str(tests))
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    suite.set("skipped", str(skipped))


def write_junit(path: Path, run_id: str, report: GateReport, items: Iterable[StoredItem]) -> Path:
    """Write :func:`junit_xml` to ``path`` atomically; return the path."""
    atomic_write_text(path, junit_xml(run_id, report, items))
    return path
