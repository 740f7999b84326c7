"""Each role on its own server with its own key, from tutorloop.yaml: no key in any output.

The tutor, the simulated learner and the judge each call a local OpenAI-wire server of their
own that accepts only its own key; the keys are named in the config file by variable only.
"""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from tests.openai_wire.runner import LocalOpenAIServer
from tutorloop.bundled import bundled_sessions
from tutorloop.records import STUDY_MODE_CHECKS

pytestmark = pytest.mark.e2e


def judge_reply(body: dict) -> str:
    checks = [
        {"name": str(name), "passed": True, "reason": "fine", "evidence_snippet": None,
         "confidence": 0.9}
        for name in STUDY_MODE_CHECKS
    ]  # fmt: skip
    reply = {"session_id": "s", "pedagogical_fidelity_score": 1.0, "escalate": False,
             "checks": checks, "notes": None}  # fmt: skip
    return json.dumps(reply)


@pytest.fixture
def servers():
    started = {role: LocalOpenAIServer().start() for role in ("tutor", "learner", "judge")}
    for role, server in started.items():
        server.state.required_key = f"{role}-" + secrets.token_hex(20)
    started["judge"].state.responder = judge_reply
    yield started
    for server in started.values():
        server.stop()


def run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tutorloop", *args],
        cwd=cwd,
        capture_output=True,
        timeout=180,
        env=env,
    )


def test_tutor_learner_and_judge_each_reach_their_own_server_with_their_own_key(servers, tmp_path):
    data = tmp_path / "in"
    data.mkdir()
    for path in sorted(bundled_sessions().glob("*.json"))[:2]:
        (data / path.name).write_bytes(path.read_bytes())
    lines = ["schema_version: 1", "endpoints:"]
    for role, server in servers.items():
        lines.append(
            f"  {role}: {{model: openai/{role}-model, base_url: '{server.base_url}', "
            f"key_env: {role.upper()}_API_KEY}}"
        )
    lines += [
        "calls: {max_retries: 0}",
        "replay: {conditions: [base], mode: free_running, personas: [answer_seeker], max_turns: 2}",
        "grade: {judge_all: true}",
        "paths: {sessions: [in], store: store/tutorloop.db}",
    ]
    (tmp_path / "tutorloop.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env["TUTORLOOP_HOME"] = str(tmp_path / "home")
    keys = {role: server.state.required_key for role, server in servers.items()}
    env.update({f"{role.upper()}_API_KEY": key for role, key in keys.items()})

    replayed = run(["replay", "--run-id", "R", "--json"], tmp_path, env)
    assert replayed.returncode == 0, replayed.stdout.decode() + replayed.stderr.decode()
    report = json.loads(replayed.stdout)
    assert report["replayed"] == 2 and report["errored"] == 0
    graded = run(["grade", "R", "--json"], tmp_path, env)
    assert graded.returncode == 0, graded.stderr.decode()
    results = json.loads(graded.stdout)["results"]
    assert len(results) == 2
    assert all(any(c["source"] == "judge" for c in r["result"]["checks"]) for r in results), (
        "every session was judged"
    )

    for role, server in servers.items():
        log = server.state.log
        assert log, f"the {role} server was never called"
        assert {entry["model"] for entry in log} == {f"{role}-model"}
        assert all(entry["auth_present"] for entry in log)
        assert not any(entry.get("fault") for entry in log)
    outputs = [replayed.stdout, replayed.stderr, graded.stdout, graded.stderr]
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.suffix == ".db" for p in written)
    for key in keys.values():
        for output in outputs:
            assert key.encode() not in output
        for path in written:
            assert key.encode() not in path.read_bytes(), f"a key leaked into {path}"
