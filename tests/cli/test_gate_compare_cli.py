"""``tutorloop gate`` and ``tutorloop compare`` on a replayed, graded run (offline simulators)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from tutorloop.bundled import bundled_sessions
from tutorloop.pulse import status_v1_schema_path


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "TUTORLOOP_HOME": str(cwd / "home")}
    return subprocess.run(
        [sys.executable, "-m", "tutorloop", *args],
        cwd=cwd, capture_output=True, text=True, timeout=180, env=env,
    )  # fmt: skip


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Path:
    cwd = tmp_path_factory.mktemp("gate")
    data = cwd / "in"
    data.mkdir()
    for path in sorted(bundled_sessions().glob("*.json"))[:6]:
        (data / path.name).write_bytes(path.read_bytes())
    for model, conditions in (("sim/base", "human,base"), ("sim/study", "overlay")):
        result = run("replay", str(data), "--model", model, "--condition", conditions,
                     "--run-id", "R", cwd=cwd)  # fmt: skip
        assert result.returncode == 0, result.stderr
    assert run("grade", "R", cwd=cwd).returncode == 0
    return cwd


def test_gate_writes_a_pulse_status_that_validates(graded):
    status = graded / "status.json"
    result = run("gate", "R", "--status-json", str(status), "--run-mode", "demo", "--json",
                 cwd=graded)  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    data = json.loads(status.read_text(encoding="utf-8"))
    schema = json.loads(status_v1_schema_path().read_text(encoding="utf-8"))
    jsonschema.validate(data, schema)
    assert data["metrics"]["run_mode"] == "demo"
    assert data["gates"] == report["gates"]
    assert all(type(v) is bool for v in data["gates"].values())
    assert "overall_pass" not in data and "decision" not in data
    assert data["gates"]["overlay_beats_base"] is True


def test_fail_on_false_exits_one_when_a_required_gate_fails(graded):
    policy = graded / "strict.yaml"
    policy.write_text("required:\n  perfect: 'fidelity_mean >= 0.999'\n", encoding="utf-8")
    result = run("gate", "R", "--policy", str(policy), "--fail-on-false", cwd=graded)
    assert result.returncode == 1 and "FAIL" in result.stdout


def test_an_ungraded_run_fails_closed(graded):
    data = graded / "in"
    assert run("replay", str(data), "--condition", "overlay", "--run-id", "U",
               cwd=graded).returncode == 0  # fmt: skip
    result = run("gate", "U", "--json", cwd=graded)
    gates = json.loads(result.stdout)["gates"]
    assert gates and not any(gates.values())


def test_compare_conditions_shows_the_gain_with_an_interval(graded):
    result = run("compare", "R", "--conditions", "base,overlay", "--json", cwd=graded)
    assert result.returncode == 0, result.stderr
    comparison = json.loads(result.stdout)
    assert comparison["pairs"] == 6 and comparison["delta"] > 0
    assert comparison["ci_low"] > 0 and comparison["ci_low"] <= comparison["delta"]
    names = {c["name"] for c in comparison["checks"]}
    assert "diagnosis_first" in names
    reverse = json.loads(
        run("compare", "R", "--conditions", "overlay,base", "--json", cwd=graded).stdout
    )
    assert reverse["worse_count"] >= 1 and reverse["worse"][0]["newly_failed"]


def test_compare_two_runs_and_bad_arguments(graded):
    result = run("compare", "R", "R", "--json", cwd=graded)
    assert result.returncode == 0 and json.loads(result.stdout)["delta"] == 0
    bad = run("compare", "R", "--conditions", "base", cwd=graded)
    assert bad.returncode == 2 and "two conditions" in bad.stderr
