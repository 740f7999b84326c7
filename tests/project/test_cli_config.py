"""The commands under tutorloop.yaml: the file's settings apply, flags win, role flags route."""

import json
import os
import subprocess
import sys
from pathlib import Path

from tutorloop.bundled import bundled_sessions


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "TUTORLOOP_HOME": str(cwd / "home")}
    env.pop("TUTORLOOP_CONFIG", None)
    return subprocess.run(
        [sys.executable, "-m", "tutorloop", *args],
        cwd=cwd, capture_output=True, text=True, timeout=180, env=env,
    )  # fmt: skip


def test_replay_grade_and_gate_take_the_file_and_flags_override_it(tmp_path):
    (tmp_path / "logs").mkdir()
    for path in sorted(bundled_sessions().glob("*.json"))[:2]:
        (tmp_path / "logs" / path.name).write_bytes(path.read_bytes())
    (tmp_path / "tutorloop.yaml").write_text(
        "endpoints: {tutor: {model: sim/base}, learner: {model: sim/learner}}\n"
        "replay: {conditions: [base]}\n"
        "paths: {sessions: [logs], store: db/t.db, status_json: out/status.json}\n"
        'policy: {required: {graded: "items >= 1"}}\n'
    )
    replayed = run("replay", "--model", "sim/study", "--learner-key-env", "LEARNER_VAR",
                   "--run-id", "R", "--json", cwd=tmp_path)  # fmt: skip
    assert replayed.returncode == 0, replayed.stderr
    report = json.loads(replayed.stdout)
    assert report["replayed"] == 2  # the file's sessions, one condition
    config = report["run"]["config"]["replay"]
    assert config["model"] == "sim/study"  # the flag over the file
    assert config["conditions"] == ["base"]
    assert config["endpoints"]["learner"] == {
        "model": "sim/learner", "base_url": None, "api": None, "key_env": "LEARNER_VAR",
        "organization": None, "project": None,
    }  # fmt: skip
    assert (tmp_path / "db" / "t.db").is_file()  # the file's store
    graded = run("grade", "R", "--json", cwd=tmp_path)
    assert graded.returncode == 0, graded.stderr
    gated = run("gate", "R", "--json", "--junit", "out/junit.xml", cwd=tmp_path)
    assert gated.returncode == 0, gated.stderr
    assert json.loads(gated.stdout)["gates"] == {"graded": True}  # the file's policy
    assert (tmp_path / "out" / "status.json").is_file() and (
        tmp_path / "out" / "junit.xml"
    ).is_file()


def test_a_bad_config_stops_a_command_with_every_problem(tmp_path):
    (tmp_path / "tutorloop.yaml").write_text(
        'calls: {concurrency: 0}\npolicy: {required: {g: "fidelity_meen >= 1"}}\n'
    )
    result = run("replay", "logs", cwd=tmp_path)
    assert result.returncode == 2
    said = " ".join(result.stderr.split())  # the terminal may wrap lines
    assert "tutorloop.yaml:1 field 'calls.concurrency'" in said
    assert "tutorloop.yaml:2 field 'policy.required.g'" in said
    assert "did you mean 'fidelity_mean'" in said
