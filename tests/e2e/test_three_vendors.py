"""Replay with the tutor on anthropic/, the learner on google/ and the judge on openai/.

Three local servers, each speaking its vendor's wire protocol and accepting only its own key;
the keys reach tutorloop through the environment only, and none appears in any output: the
commands' stdout and stderr, the artifacts, the store or the call ledger.
"""

import json
import os
import subprocess
import sys

import pytest

from tests.grade.test_judge import reply_obj
from tutorloop.bundled import bundled_sessions

pytestmark = pytest.mark.e2e


def test_tutor_learner_and_judge_on_three_vendors(
    tmp_path, anthropic_wire, google_wire, openai_wire
):
    sessions = tmp_path / "in"
    sessions.mkdir()
    for path in sorted(bundled_sessions().glob("*.json"))[:2]:
        (sessions / path.name).write_bytes(path.read_bytes())
    keys = {
        "ANTHROPIC_API_KEY": anthropic_wire.state.key,
        "GEMINI_API_KEY": google_wire.state.key,
        "OPENAI_API_KEY": openai_wire.api_key,
    }
    env = {
        **{k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_BASE_URL"))},
        **keys,
        "ANTHROPIC_BASE_URL": anthropic_wire.url,
        "GOOGLE_GEMINI_BASE_URL": google_wire.url,
        "OPENAI_BASE_URL": openai_wire.base_url,
        "TUTORLOOP_HOME": str(tmp_path / "home"),
    }
    anthropic_wire.state.push(*["Before we start: what do you already know?"] * 20)
    google_wire.state.push(*["I think it is 5/6, but I am not sure."] * 20)
    openai_wire.state.responder = lambda body: json.dumps(reply_obj())

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "tutorloop", *args],
            cwd=tmp_path, capture_output=True, text=True, timeout=240, env=env,
        )  # fmt: skip

    replay = run("replay", str(sessions), "--model", "anthropic/claude-haiku-4-5",
                 "--learner-model", "google/gemini-2.5-flash", "--mode", "free_running",
                 "--condition", "base", "--persona", "answer_seeker", "--max-turns", "2",
                 "--run-id", "V3", "--out", str(tmp_path / "artifacts"), "--json")  # fmt: skip
    assert replay.returncode == 0, replay.stderr
    report = json.loads(replay.stdout)
    assert report["replayed"] == 2 and report["errored"] == 0
    assert report["calls"]["unpriced_models"] == []  # both priced by the maintained table
    assert report["calls"]["cost_usd"] > 0
    assert anthropic_wire.state.requests and google_wire.state.requests
    tutor_system = anthropic_wire.state.requests[0].body.get("system")
    assert tutor_system is None or isinstance(tutor_system, str)

    graded = run("grade", "V3", "--judge", "openai/judge-model", "--judge-all", "--json")
    assert graded.returncode in (0, 1), graded.stderr
    assert openai_wire.state.by_path.get("/v1/chat/completions", 0) >= 2

    outputs = [replay.stdout, replay.stderr, graded.stdout, graded.stderr]
    files = [p for p in tmp_path.rglob("*") if p.is_file() and "in" not in p.parts[-2:-1]]
    assert any(p.name == "calls.db" for p in files)
    for name, key in keys.items():
        for text in outputs:
            assert key not in text, f"{name} in a command's output"
        for path in files:
            assert key.encode() not in path.read_bytes(), f"{name} in {path}"
