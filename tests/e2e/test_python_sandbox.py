"""A client's python grader cannot steal the service's keys, data or network, nor outlive it.

Each attack runs as a python grader submitted through the official ``openai`` SDK to a live
``tutorloop serve`` and through ``tutorloop grade --graders``; the grader scores 1.0 when the
attack failed, so a leak shows up as a failed or errored output item.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
import yaml
from openai import OpenAI

from tests.openai_wire.runner import LocalOpenAIServer
from tests.serve.conftest import LiveService
from tutorloop.generate import CallPolicy, ProviderSettings
from tutorloop.grade.graders.sandbox import sandbox_problem
from tutorloop.serve import ServeConfig

pytestmark = pytest.mark.e2e

PROBLEM = sandbox_problem()
needs_bwrap = pytest.mark.skipif(
    PROBLEM is not None, reason=f"bubblewrap sandbox unavailable: {PROBLEM}"
)
TOKEN = "tl-sandbox-e2e-token-" + secrets.token_hex(8)

ENVIRON = """
import os
def grade(sample, item):
    seen = [repr(dict(os.environ))]
    for pid in (os.getppid(), 1):
        try:
            seen.append(open(f"/proc/{pid}/environ", encoding="latin-1").read())
        except OSError as exc:
            seen.append(repr(exc))
    raise RuntimeError("stolen: " + " | ".join(seen))
"""
FILES = """
def grade(sample, item):
    for path in item["secret_files"]:
        try:
            open(path, "rb").read(16)
        except OSError:
            continue
        raise RuntimeError("read " + path)
    try:
        open(item["outside"], "w").write("escaped")
    except OSError:
        return 1.0
    raise RuntimeError("wrote " + item["outside"])
"""
SOCKET = """
import socket
def grade(sample, item):
    try:
        socket.create_connection(("127.0.0.1", int(item["port"])), timeout=3).close()
    except OSError:
        return 1.0
    raise RuntimeError("reached the service")
"""
ORPHAN = """
import os, sys, time
def grade(sample, item):
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            os.execv(sys.executable, [sys.executable, "-c",
                "import sys, time; time.sleep(2); open(sys.argv[1], 'w').write('alive')",
                item["orphan_marker"], item["tag"]])
        os._exit(0)
    time.sleep(0.5)
    while True:
        pass
"""
ECHO_KEY = """
def grade(sample, item):
    raise ValueError("the key is " + "sk-" + "proj-" + "0123456789" * 3)
"""


def python(name: str, source: str) -> dict[str, Any]:
    return {"type": "python", "name": name, "source": source}


def _processes_with(tag: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if tag.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@pytest.fixture
def service_factory(
    tmp_path: Path, openai_wire: LocalOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    monkeypatch.setenv("OPENAI_API_KEY", openai_wire.api_key)
    monkeypatch.setenv("TUTORLOOP_API_TOKEN", TOKEN)
    started: list[LiveService] = []

    def make(**overrides: Any) -> LiveService:
        fields: dict[str, Any] = {
            "store_path": tmp_path / "store" / "tutorloop.db",
            "upstream": ProviderSettings(base_url=openai_wire.base_url),
            "calls": CallPolicy(cache=False, max_retries=0, concurrency=4),
        }
        service = LiveService(ServeConfig(**(fields | overrides)))
        started.append(service)
        return service

    yield make
    for service in started:
        service.stop()


def _client(service: LiveService) -> OpenAI:
    return OpenAI(base_url=service.base_url, api_key=TOKEN, max_retries=0)


def _eval(client: OpenAI, criteria: list[dict[str, Any]]) -> Any:
    return client.evals.create(
        name="attacks",
        data_source_config={"type": "custom", "item_schema": {"type": "object"}},
        testing_criteria=criteria,  # type: ignore[arg-type]
    )


@needs_bwrap
def test_attacks_through_the_service_all_fail(
    service_factory: Any, openai_wire: LocalOpenAIServer, tmp_path: Path
) -> None:
    live = service_factory()
    client = _client(live)
    other = client.files.create(file=("other.jsonl", b'{"item": {"x": 1}}\n'), purpose="evals")
    store = tmp_path / "store" / "tutorloop.db"
    outside = tmp_path / "escaped.txt"
    marker = tmp_path / "orphan.txt"
    tag = f"tutorloop-orphan-{uuid.uuid4().hex}"
    item = {
        "secret_files": [str(store), str(store) + "-wal", __file__],
        "outside": str(outside),
        "port": live.port,
        "orphan_marker": str(marker),
        "tag": tag,
        "other_file": other.id,
    }
    criteria = [
        python("environ", ENVIRON),
        python("files", FILES),
        python("socket", SOCKET),
        python("orphan", ORPHAN),
        python("echo", ECHO_KEY),
    ]
    evaluation = _eval(client, criteria)
    rows = [{"item": item, "sample": {"output_text": "x"}}]
    run = client.evals.runs.create(
        evaluation.id,
        name="attacks",
        data_source={"type": "jsonl", "source": {"type": "file_content", "content": rows}},
    )
    deadline = time.monotonic() + 120
    while run.status not in ("completed", "failed", "canceled") and time.monotonic() < deadline:
        time.sleep(0.2)
        run = client.evals.runs.retrieve(run.id, eval_id=evaluation.id)
    assert run.status == "completed", run
    (output,) = client.evals.runs.output_items.list(run.id, eval_id=evaluation.id).data
    # each result is named by its criterion's id, <name>-<uuid4>, as on the hosted API
    results = {r.name.rsplit("-", 5)[0]: r.to_dict() for r in output.results}
    for name in ("files", "socket"):
        assert results[name]["score"] == 1.0, results[name]
    text = output.to_json()
    assert "PATH=" in text  # the environ grader did read /proc/<pid>/environ
    assert openai_wire.api_key not in text and TOKEN not in text
    assert "[redacted]" in text and "0123456789" * 3 not in text  # key-shaped text is scrubbed
    assert not outside.exists()
    deadline = time.monotonic() + 15
    while _processes_with(tag) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _processes_with(tag) == []
    time.sleep(3)  # past the orphan's sleep: had it survived, the marker would exist now
    assert not marker.exists()
    live.stop()
    for path in store.parent.iterdir():
        data = path.read_bytes()
        assert openai_wire.api_key.encode() not in data, path
        assert TOKEN.encode() not in data, path


def test_service_refuses_python_graders_without_a_sandbox(
    service_factory: Any, tmp_path: Path
) -> None:
    missing = str(tmp_path / "no-such-bwrap")
    grader = python("p", "def grade(sample, item):\n    return 1.0\n")
    client = _client(service_factory(bwrap_path=missing))
    with pytest.raises(openai.BadRequestError) as refused:
        _eval(client, [grader])
    assert refused.value.status_code == 400
    body: Any = refused.value.body
    assert body["param"] == "testing_criteria[0].type"
    assert "bubblewrap" in body["message"] and "unsandboxed" in body["message"]
    multi = {
        "type": "multi",
        "name": "m",
        "graders": {"p": grader},
        "calculate_output": "p",
    }
    with pytest.raises(openai.BadRequestError):
        _eval(client, [multi])
    other = _client(service_factory(bwrap_path=missing, python_graders="unsandboxed"))
    assert _eval(other, [grader]).id
    off = _client(service_factory(python_graders="off"))
    with pytest.raises(openai.BadRequestError) as refused:
        _eval(off, [grader])
    assert "turned off" in str(refused.value.body)


def _cli(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tutorloop", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
    )


def _cli_inputs(tmp_path: Path, key: str) -> tuple[Path, Path]:
    secret = tmp_path / "secret.txt"
    secret.write_text(key)
    item = {"secret_files": [str(secret), __file__], "outside": str(tmp_path / "escaped.txt")}
    item |= {"port": 1}
    dataset = tmp_path / "dataset.jsonl"
    dataset.write_text(json.dumps({"item": item, "sample": {"output_text": "x"}}) + "\n")
    graders = tmp_path / "graders.yaml"
    criteria = [python("environ", ENVIRON), python("files", FILES), python("echo", ECHO_KEY)]
    graders.write_text(yaml.safe_dump(criteria))
    return dataset, graders


@needs_bwrap
def test_attacks_through_the_cli_leak_nothing(tmp_path: Path) -> None:
    key = "sk-cli-canary-" + secrets.token_hex(16)
    dataset, graders = _cli_inputs(tmp_path, key)
    env = {**os.environ, "OPENAI_API_KEY": key, "TUTORLOOP_HOME": str(tmp_path / "home")}
    args = ["grade", str(dataset), "--graders", str(graders), "--json"]
    result = _cli([*args, "--out", str(tmp_path / "out")], tmp_path, env)
    assert result.returncode == 0, result.stderr
    graded = {g["name"]: g for g in json.loads(result.stdout)["results"][0]["result"]["graders"]}
    assert graded["files"]["score"] == 1.0, graded["files"]
    assert "PATH=" in graded["environ"]["error"]["message"]
    assert "[redacted]" in graded["echo"]["error"]["message"]
    assert not (tmp_path / "escaped.txt").exists()
    assert key not in result.stdout and key not in result.stderr
    for path in [*(tmp_path / "out").rglob("*"), *(tmp_path / "home").rglob("*")]:
        if path.is_file():
            assert key.encode() not in path.read_bytes(), path


def test_cli_refuses_python_graders_without_a_sandbox(tmp_path: Path) -> None:
    key = "sk-cli-canary-" + secrets.token_hex(16)
    dataset, graders = _cli_inputs(tmp_path, key)
    no_bwrap = tmp_path / "bin"
    no_bwrap.mkdir()
    env = {
        **os.environ,
        "PATH": str(no_bwrap),
        "OPENAI_API_KEY": key,
        "TUTORLOOP_HOME": str(tmp_path / "home"),
    }
    args = ["grade", str(dataset), "--graders", str(graders), "--json"]
    refused = _cli(args, tmp_path, env)
    assert refused.returncode == 2, refused.stderr
    assert "bubblewrap" in refused.stderr + refused.stdout
    assert "--allow-unsandboxed-python" in refused.stderr + refused.stdout
    allowed = _cli([*args, "--allow-unsandboxed-python"], tmp_path, env)
    assert allowed.returncode == 0, allowed.stderr
    graded = json.loads(allowed.stdout)["results"][0]["result"]["graders"]
    assert {g["name"] for g in graded} == {"environ", "files", "echo"}
    # unsandboxed, the environ grader does read this process's key: the scrub still removes it
    assert key not in allowed.stdout and key not in allowed.stderr
    for path in (tmp_path / "home").rglob("*"):
        if path.is_file():
            assert key.encode() not in path.read_bytes(), path
