"""``tutorloop oaieval MODEL EVAL`` as a user runs it: offline, over real HTTP, and its errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.openai_wire.request_text import last_user_text
from tutorloop.cli.oaieval_cmd import split_models
from tutorloop.errors import ConfigError

FIXTURE = Path(__file__).parents[1] / "fixtures" / "registry"


def run(*args: str, cwd: Path, key: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "TUTORLOOP_HOME": str(cwd / "home")}
    if key:
        env["OPENAI_API_KEY"] = key
    return subprocess.run(
        [sys.executable, "-m", "tutorloop", "oaieval", *args],
        cwd=cwd, capture_output=True, text=True, timeout=180, env=env,
    )  # fmt: skip


def test_the_bundled_test_match_runs_offline_and_prints_the_final_report(tmp_path):
    done = run("sim/study", "test-match", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "Final report:"
    assert lines[1].startswith("accuracy: ") and lines[2].startswith("boostrap_std: ")
    assert lines[3].startswith("Run completed: ") and "test-match.s1.simple-v0" in lines[3]


def test_a_model_graded_eval_offline_with_model_comma_judge(tmp_path):
    done = run("sim/study,sim/study", "tutor-reply-quality", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["class_name"] == "ModelBasedClassify" and report["judge_model"] == "sim/study"
    assert report["final_report"]["invalid_request_during_evaluation"] == 0
    assert sum(v for k, v in report["final_report"].items() if k.startswith("counts/")) == 2


def test_test_match_against_a_model_over_http(tmp_path, openai_wire):
    capitals = {"Peru": "Lima", "Kenya": "Nairobi", "Canada": "Ottawa", "Norway": "Oslo"}
    openai_wire.state.responder = lambda body: next(
        (city for country, city in capitals.items() if country in last_user_text(body)), "?"
    )
    done = run(
        "openai/gpt-4.1-mini", "test-match", "--registry", str(FIXTURE), "--base-url",
        openai_wire.base_url, "--no-cache", "--json", cwd=tmp_path, key=openai_wire.api_key,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["final_report"]["accuracy"] == 1.0 and report["samples"] == 4
    assert report["final_report"]["boostrap_std"] == 0.0


def test_record_path_writes_oaievals_record_with_the_final_report(tmp_path):
    record = tmp_path / "record.jsonl"
    done = run("sim/study", "tutor-asks", "--record-path", str(record), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in record.read_text().splitlines()]
    assert lines[0]["spec"]["eval_name"] == "tutor-asks.dev.v0"
    final = next(line for line in lines if line.get("final_report") is not None)
    assert final["final_report"] == {"accuracy": 1.0}


def test_max_samples_and_seed(tmp_path):
    done = run("sim/study", "test-match", "--registry", str(FIXTURE), "--max-samples", "2",
               "--seed", "5", "--json", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["samples"] == 2


def test_problems_before_any_call_exit_2(tmp_path):
    unknown = run("sim/study", "test-mtch", "--registry", str(FIXTURE), cwd=tmp_path)
    assert unknown.returncode == 2 and "did you mean test-match" in unknown.stderr
    judge = run("sim/study", "explain-check", "--registry", str(FIXTURE), cwd=tmp_path)
    assert judge.returncode == 2 and "--judge" in judge.stderr
    bad = tmp_path / "bad"
    (bad / "evals").mkdir(parents=True)
    (bad / "evals" / "x.yaml").write_text("x:\n  id: x.s1.v0\nx.s1.v0:\n  class: Nope\n")
    refused = run("sim/study", "x", "--registry", str(bad), cwd=tmp_path)
    assert refused.returncode == 2 and "does not run here" in refused.stderr
    assert "x.yaml:3" in refused.stderr


def test_split_models():
    assert split_models("a/b", None) == ("a/b", None)
    assert split_models("a/b,c/d", None) == ("a/b", "c/d")
    assert split_models("a/b", "c/d") == ("a/b", "c/d")
    with pytest.raises(ConfigError):
        split_models("a/b,c/d", "e/f")
    with pytest.raises(ConfigError):
        split_models("a,b,c", None)
