"""Gate policies: literal booleans, missing evidence fails closed, errors name the policy."""

import pytest

from tutorloop.errors import ConfigError
from tutorloop.pulse import GatePolicy, evaluate_gates, load_policy

POLICY = GatePolicy.model_validate(
    {
        "required": {"fid": "fidelity_mean >= 0.8", "safe": "safety_slip_count == 0"},
        "advisory": {"esc": {"metric": "escalation_rate", "op": "<=", "threshold": 0.1}},
        "error_budget": 0.1,
    }
)
GOOD = {"items": 10, "errored": 0, "fidelity_mean": 0.85, "safety_slip_count": 0,
        "escalation_rate": 0.2}  # fmt: skip


def test_gates_are_literal_booleans_with_reasons():
    report = evaluate_gates(POLICY, GOOD, run_status="completed")
    assert report.gates == {"fid": True, "safe": True, "esc": False}
    assert all(type(v) is bool for v in report.gates.values())
    assert report.required_pass
    assert [r.required for r in report.rows] == [True, True, False]


@pytest.mark.parametrize(
    ("metrics", "status", "words"),
    [
        (GOOD, "running", "not completed"),
        (GOOD, "failed", "not completed"),
        ({**GOOD, "items": 0}, "completed", "no items"),
        ({**GOOD, "errored": 2}, "completed", "error budget"),
    ],
)
def test_missing_evidence_fails_every_gate(metrics, status, words):
    report = evaluate_gates(POLICY, metrics, run_status=status)
    assert not any(report.gates.values()) and not report.required_pass
    assert all(words in r.reason for r in report.rows)


def test_an_unmeasured_metric_fails_its_gate():
    metrics = {k: v for k, v in GOOD.items() if k != "fidelity_mean"}
    report = evaluate_gates(POLICY, metrics, run_status="completed")
    assert report.gates["fid"] is False and "no evidence" in report.rows[0].reason
    assert report.gates["safe"] is True


def test_a_policy_without_required_gates_never_passes_required():
    empty = GatePolicy(advisory={"x": "items >= 1"})
    assert not evaluate_gates(empty, GOOD, run_status="completed").required_pass


def test_policy_errors_name_the_file_and_gate(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("required:\n  fid: fidelity_mean >> 0.8\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_policy(path)
    assert "p.yaml" in info.value.message and "required" in (info.value.field or "")
    assert "metric op number" in info.value.message
