"""tutorloop.yaml puts each role on its own vendor: the tutor on anthropic/, the learner on
google/, the judge on openai/, each at its own local wire server with its own key variable;
no key appears in any output or file."""

import json
import os
import subprocess
import sys

import pytest

from tests.grade.test_judge import reply_obj
from tutorloop.bundled import bundled_sessions

pytestmark = pytest.mark.e2e


def test_each_role_on_its_own_vendor_from_the_config_file(
    tmp_path, anthropic_wire, google_wire, openai_wire
):
    (tmp_path / "in").mkdir()
    for path in sorted(bundled_sessions().glob("*.json"))[:2]:
        (tmp_path / "in" / path.name).write_bytes(path.read_bytes())
    (tmp_path / "tutorloop.yaml").write_text(
        "endpoints:\n"
        f"  tutor: {{model: anthropic/claude-haiku-4-5, base_url: '{anthropic_wire.url}',"
        " key_env: TUTOR_VENDOR_KEY}\n"
        f"  learner: {{model: google/gemini-2.5-flash, base_url: '{google_wire.url}',"
        " key_env: LEARNER_VENDOR_KEY}\n"
        f"  judge: {{model: openai/judge-model, base_url: '{openai_wire.base_url}',"
        " key_env: JUDGE_VENDOR_KEY}\n"
        "calls: {max_retries: 0}\n"
        "replay: {conditions: [base], mode: free_running, personas: [answer_seeker],"
        " max_turns: 2}\n"
        "grade: {judge_all: true}\n"
        "paths: {sessions: [in]}\n"
    )
    keys = {
        "TUTOR_VENDOR_KEY": anthropic_wire.state.key,
        "LEARNER_VENDOR_KEY": google_wire.state.key,
        "JUDGE_VENDOR_KEY": openai_wire.api_key,
    }
    env = {  # no vendor's own variable: each key comes only from the variable its role names
        **{k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_BASE_URL"))},
        **keys,
        "TUTORLOOP_HOME": str(tmp_path / "home"),
    }
    env.pop("TUTORLOOP_CONFIG", None)
    anthropic_wire.state.push(*["Before we start: what do you already know?"] * 20)
    google_wire.state.push(*["I think it is 5/6, but I am not sure."] * 20)
    openai_wire.state.responder = lambda body: json.dumps(reply_obj())

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "tutorloop", *args],
            cwd=tmp_path, capture_output=True, text=True, timeout=240, env=env,
        )  # fmt: skip

    replay = run("replay", "--run-id", "V3", "--json")
    assert replay.returncode == 0, replay.stdout + replay.stderr
    report = json.loads(replay.stdout)
    assert report["replayed"] == 2 and report["errored"] == 0
    assert anthropic_wire.state.requests and google_wire.state.requests
    assert {r.body["model"] for r in anthropic_wire.state.requests} == {"claude-haiku-4-5"}
    graded = run("grade", "V3", "--json")
    assert graded.returncode in (0, 1), graded.stderr
    assert {entry["model"] for entry in openai_wire.state.log} == {"judge-model"}
    assert len(openai_wire.state.log) >= 2

    outputs = [replay.stdout, replay.stderr, graded.stdout, graded.stderr]
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name == "calls.db" for p in files)
    for name, key in keys.items():
        for text in outputs:
            assert key not in text, f"{name} in a command's output"
        for path in files:
            assert key.encode() not in path.read_bytes(), f"{name} in {path}"
