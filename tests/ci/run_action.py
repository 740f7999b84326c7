"""Run a composite GitHub Action's steps locally, as the runner would: for the action's test.

It reads ``action.yml``, fills the inputs (given, else their defaults), evaluates the few
expressions the action uses (``inputs.*``, ``github.*``, ``runner.temp``, ``steps.*.outputs``)
in each step's ``env`` and ``run``, and runs each ``run:`` step with
``bash --noprofile --norc -eo pipefail`` (GitHub's ``shell: bash``) in the workspace, with
``GITHUB_OUTPUT``, ``GITHUB_STEP_SUMMARY`` and ``RUNNER_TEMP`` files like the runner's. Steps
stop at the first failure, as a job does. Only what this repository's action uses is supported:
a step with ``uses:`` or an ``if:`` is refused rather than run wrongly.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

_EXPRESSION = re.compile(r"\$\{\{\s*([^}]+?)\s*\}\}")


@dataclass
class StepRun:
    """One step as it ran."""

    name: str
    returncode: int
    stdout: str
    stderr: str
    outputs: dict[str, str] = field(default_factory=dict)


@dataclass
class ActionRun:
    """The steps that ran (the last one failed when the job failed) and the summary file."""

    steps: list[StepRun]
    summary: Path

    @property
    def ok(self) -> bool:
        """Whether every step succeeded."""
        return all(step.returncode == 0 for step in self.steps)


def _read_outputs(path: Path) -> dict[str, str]:
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        name, sep, value = line.partition("=")
        if sep:
            found[name] = value
    return found


def run_action(
    action_dir: Path,
    workspace: Path,
    runner_temp: Path,
    inputs: Mapping[str, str],
    github: Mapping[str, str],
    env: Mapping[str, str],
    timeout_s: float = 600,
) -> ActionRun:
    """Run the composite action in ``action_dir`` in ``workspace``; see the module docstring."""
    action: dict[str, Any] = yaml.safe_load((action_dir / "action.yml").read_text("utf-8"))
    assert action["runs"]["using"] == "composite"
    declared: dict[str, Any] = action.get("inputs", {})
    unknown = set(inputs) - set(declared)
    assert not unknown, f"the action has no inputs {sorted(unknown)}"
    context: dict[str, Any] = {
        "github": {"action_path": str(action_dir), **github},
        "runner": {"temp": str(runner_temp)},
        "steps": {},
    }

    def evaluate(text: str) -> str:
        def one(match: re.Match[str]) -> str:
            scope, _, rest = match.group(1).partition(".")
            if scope == "inputs":
                return str(filled[rest])
            value: Any = context[scope]
            for part in rest.split("."):
                value = value.get(part, "") if isinstance(value, dict) else ""
            return str(value)

        return _EXPRESSION.sub(one, text)

    filled: dict[str, str] = {}
    for name, spec in declared.items():
        default = str((spec or {}).get("default", ""))
        filled[name] = inputs[name] if name in inputs else evaluate(default)
    runner_temp.mkdir(parents=True, exist_ok=True)
    summary = runner_temp / "step_summary.md"
    summary.touch()
    steps: list[StepRun] = []
    for index, step in enumerate(action["runs"]["steps"]):
        assert "uses" not in step and "if" not in step, "run_action runs run: steps only"
        assert step.get("shell") == "bash"
        output_file = runner_temp / f"output_{index}"
        output_file.write_text("")
        step_env = {
            **env,
            "GITHUB_WORKSPACE": str(workspace),
            "GITHUB_OUTPUT": str(output_file),
            "GITHUB_STEP_SUMMARY": str(summary),
            "RUNNER_TEMP": str(runner_temp),
            **{k: evaluate(str(v)) for k, v in (step.get("env") or {}).items()},
        }
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", evaluate(step["run"])],
            cwd=workspace,
            env=step_env,
            capture_output=True,
            text=True,
            timeout=timeout_s,
        )
        outputs = _read_outputs(output_file)
        if "id" in step:
            context["steps"][step["id"]] = {"outputs": outputs}
        steps.append(StepRun(step.get("name", f"step {index}"), done.returncode, done.stdout,
                             done.stderr, outputs))  # fmt: skip
        if done.returncode != 0:
            break
    return ActionRun(steps, summary)


def environment_without_github() -> dict[str, str]:
    """This process's environment without anything a real runner would set for a step."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "RUNNER_"))}
