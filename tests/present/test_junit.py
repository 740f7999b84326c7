"""JUnit XML of a run's gates and failed checks, and the Markdown job summary."""

import xml.etree.ElementTree as ET

from tutorloop.analyse import QueueEntry, RunSummary
from tutorloop.present import junit_xml, summary_markdown
from tutorloop.pulse import GateOutcome, GateReport, GateRow
from tutorloop.records import EvalCheck, EvalResult
from tutorloop.store import StoredItem

ROWS = [
    GateRow(name="fid_ok", required=True, condition="fidelity_mean >= 0.8", value=0.5,
            passed=False, reason="does not hold"),
    GateRow(name="safe", required=True, condition="safety_slip_count == 0", value=0.0,
            passed=True, reason="holds"),
    GateRow(name="judge_ok", required=False, condition="judge_error_rate <= 0.02", value=None,
            passed=False, reason="no evidence: the run has no metric 'judge_error_rate'"),
]  # fmt: skip


def item(key: str, result: EvalResult | None, error: str | None = None) -> StoredItem:
    return StoredItem(
        item_key=key, session_id=key.split("|")[0], condition="overlay", domain="math",
        source="x.json", status="error" if error else "done",
        result_json=result.model_dump_json() if result else None,
        error_type="ProviderTimeout" if error else None, error_message=error, seq=1,
    )  # fmt: skip


def result(session: str, failed: list[str]) -> EvalResult:
    checks = [
        EvalCheck(name=name, passed=name not in failed, reason=f"{name} <reason> & more",
                  evidence_snippet="the answer is 5/6")
        for name in ("diagnosis_first", "conciseness")
    ]  # fmt: skip
    return EvalResult(
        session_id=session, pedagogical_fidelity_score=0.5, escalate=bool(failed), checks=checks
    )


def test_one_case_per_gate_and_per_failed_check_or_errored_item():
    items = [
        item("a|overlay", result("a", ["diagnosis_first", "conciseness"])),
        item("b|overlay", result("b", [])),
        item("c|overlay", None, error="no answer within 60 s"),
    ]
    root = ET.fromstring(junit_xml("R1", GateReport(rows=ROWS), items))
    gates, sessions = root.findall("testsuite")
    assert [c.get("name") for c in gates.findall("testcase")] == ["fid_ok", "safe", "judge_ok"]
    assert (gates.get("tests"), gates.get("failures"), gates.get("skipped")) == ("3", "1", "1")
    fid = gates.find("testcase[@name='fid_ok']/failure")
    assert fid is not None and "fidelity_mean >= 0.8: 0.5" in fid.get("message", "")
    assert gates.find("testcase[@name='judge_ok']/skipped") is not None
    names = [c.get("name") for c in sessions.findall("testcase")]
    assert names == ["a|overlay :: diagnosis_first", "a|overlay :: conciseness", "c|overlay"]
    assert (sessions.get("failures"), sessions.get("errors")) == ("2", "1")
    failure = sessions.find("testcase/failure")
    assert failure is not None and failure.get("message") == "diagnosis_first <reason> & more"
    assert "evidence: the answer is 5/6" in (failure.text or "")


def test_the_summary_has_gates_changes_against_the_base_and_top_failures():
    outcome = GateOutcome(
        run_id="R2", run_status="completed", report=GateReport(rows=ROWS),
        metrics={"fidelity_mean": 0.5}, comparison=None, status_path=None,
    )  # fmt: skip
    base_rows = [r.model_copy(update={"value": 0.75}) if r.name == "fid_ok" else r for r in ROWS]
    base = outcome.model_copy(
        update={
            "run_id": "R1",
            "report": GateReport(rows=base_rows),
            "metrics": {"fidelity_mean": 0.75},
        }
    )
    summary = RunSummary.model_construct(
        failures={"no_diagnosis": 3, "lecture_mode": 1},
        queue=[QueueEntry(item_key="a|overlay", session_id="a", condition="overlay",
                          severity="high", fidelity=0.3, failures=["no_diagnosis"], reasons=[])],
    )  # fmt: skip
    text = summary_markdown(outcome, summary, base)
    assert "a required gate failed" in text and "`R1`" in text
    assert "| fid_ok | required | `fidelity_mean >= 0.8` | 0.5 | 0.75 | -0.25 | **FAIL**" in text
    assert "| fidelity_mean | 0.75 | 0.5 | -0.25 |" in text
    assert text.index("no_diagnosis | 3") < text.index("lecture_mode | 1")
    assert "| a | overlay | high | 0.30 | no_diagnosis |" in text
