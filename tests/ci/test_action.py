"""The GitHub Action (action.yml) runs: its steps, executed by ``run_action`` against local git
repositories, install tutorloop at a pinned ref, replay, grade and gate against the base
branch, write JUnit XML and the job summary, and fail the job on a false required gate.

No network: tutorloop is installed from a ``git clone`` of a temporary repository holding this
checkout's package (``git+file://...@<commit>``), with ``--no-deps --no-build-isolation`` into a
fresh virtual environment that sees the test environment's packages (its dependencies and the
build backend) through a ``.pth`` line, so the installed tutorloop is the one built from the
pinned commit, not the editable one under test.
"""

import shutil
import subprocess
import sys
import sysconfig
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.ci.run_action import environment_without_github, run_action
from tutorloop.bundled import bundled_sessions

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).parents[2]
POLICY_FAILS = """policy:
  required:
    overlay_fidelity_perfect: "condition.overlay.fidelity_mean >= 1.01"
    overlay_no_safety_slip: "condition.overlay.safety_slip_count == 0"
  advisory:
    escalation_ok: "condition.overlay.escalation_rate <= 0.5"
"""
POLICY_PASSES = """policy:
  required:
    overlay_graded: "condition.overlay.items >= 1"
"""


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        cwd=cwd, capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    return done.stdout.strip()


def package_repository(where: Path) -> str:
    """A git repository holding this checkout's package; returns its commit."""
    where.mkdir()
    for name in ("pyproject.toml", "README.md", "action.yml"):
        shutil.copy2(ROOT / name, where / name)
    shutil.copytree(
        ROOT / "src", where / "src", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    git(where, "init", "-q", "-b", "main")
    git(where, "add", "-A")
    git(where, "commit", "-q", "-m", "tutorloop")
    return git(where, "rev-parse", "HEAD")


def project_repository(where: Path) -> None:
    """A tutoring project: main runs sim/base; the checked-out branch runs sim/study."""
    (where / "sessions").mkdir(parents=True)
    for path in sorted(bundled_sessions().glob("*.json"))[:3]:
        shutil.copy2(path, where / "sessions" / path.name)
    config = "schema_version: 1\nendpoints: {{tutor: {{model: {tutor}}}}}\n" + POLICY_FAILS
    (where / "tutorloop.yaml").write_text(config.format(tutor="sim/base"))
    git(where, "init", "-q", "-b", "main")
    git(where, "add", "-A")
    git(where, "commit", "-q", "-m", "base")
    git(where, "checkout", "-q", "-b", "overlay-change")
    (where / "tutorloop.yaml").write_text(config.format(tutor="sim/study"))
    (where / "lenient.yaml").write_text(
        "schema_version: 1\nendpoints: {tutor: {model: sim/study}}\n" + POLICY_PASSES
    )
    git(where, "add", "-A")
    git(where, "commit", "-q", "-m", "study tutor")


def fresh_venv(where: Path) -> Path:
    """A virtual environment that sees the test environment's packages, not its tutorloop."""
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True, timeout=300)
    probe = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    site = Path(
        subprocess.run(
            [str(where / "bin" / "python"), "-c", probe],
            capture_output=True, text=True, check=True, timeout=60,
        ).stdout.strip()
    )  # fmt: skip
    (site / "test_environment.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return where / "bin"


def test_the_action_gates_a_pull_request_against_its_base_and_reports(tmp_path):
    commit = package_repository(tmp_path / "tutorloop-src")
    action_dir = tmp_path / "action"
    git(tmp_path, "clone", "-q", str(tmp_path / "tutorloop-src"), str(action_dir))
    workspace = tmp_path / "workspace"
    project_repository(workspace)
    bin_dir = fresh_venv(tmp_path / "venv")
    env = environment_without_github()
    env["PATH"] = f"{bin_dir}:{env['PATH']}"
    env["TUTORLOOP_HOME"] = str(tmp_path / "home")
    env.pop("VIRTUAL_ENV", None)
    github = {"run_id": "42", "run_attempt": "1", "action_ref": "v-test",
              "action_repository": "example/tutorloop"}  # fmt: skip
    inputs = {
        "sessions": "sessions",
        "base-ref": "main",
        "tutorloop-ref": commit,
        "tutorloop-repository": f"file://{tmp_path / 'tutorloop-src'}",
        "pip-args": "--no-deps --no-build-isolation",
    }

    failing = run_action(action_dir, workspace, tmp_path / "temp1", inputs, github, env)
    names = [step.name for step in failing.steps]
    assert failing.steps[0].returncode == 0, failing.steps[0].stdout + failing.steps[0].stderr
    assert names == [
        "Install tutorloop",
        "Replay and grade the base branch",
        "Replay, grade and gate",
    ]
    *setup, gate = failing.steps
    assert all(step.returncode == 0 for step in setup), [s.stderr for s in setup]
    assert gate.returncode == 1, gate.stderr  # the job fails on the false required gate
    assert gate.outputs["run-id"] == "run-42-1"
    installed = subprocess.run(
        [str(bin_dir / "python"), "-c", "import tutorloop, sys; print(tutorloop.__file__)"],
        capture_output=True, text=True, check=True, timeout=60, env=env,
    ).stdout  # fmt: skip
    assert str(tmp_path / "venv") in installed  # built from the pinned commit, not the checkout

    junit = ET.parse(workspace / "tutorloop-junit.xml").getroot()
    gates, sessions = junit.findall("testsuite")
    cases = {case.get("name"): case for case in gates.findall("testcase")}
    assert set(cases) == {"overlay_fidelity_perfect", "overlay_no_safety_slip", "escalation_ok"}
    assert cases["overlay_fidelity_perfect"].find("failure") is not None
    assert cases["overlay_no_safety_slip"].find("failure") is None
    for case in sessions.findall("testcase"):
        assert case.find("failure") is not None or case.find("error") is not None
    summary = failing.summary.read_text(encoding="utf-8")
    assert "a required gate failed" in summary
    assert "compared with the base run `base-42-1`" in summary
    assert "### Against the base run" in summary and "| fidelity_mean |" in summary
    assert "| overlay_fidelity_perfect | required |" in summary
    assert (workspace / "status.json").is_file()

    inputs = {**inputs, "config": "lenient.yaml", "junit": "passing.xml"}
    passing = run_action(action_dir, workspace, tmp_path / "temp2", inputs, github, env)
    assert passing.ok, [s.stderr for s in passing.steps]
    assert "no comparison with a base run" in passing.steps[1].stdout  # main has no lenient.yaml
    summary = passing.summary.read_text(encoding="utf-8")
    assert "required gates pass" in summary and "base run" not in summary
    passed = ET.parse(workspace / "passing.xml").getroot().find("testsuite")
    assert passed is not None and passed.get("failures") == "0"
