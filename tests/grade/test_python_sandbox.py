"""The python grader's bubblewrap sandbox: each escape a grader could try fails.

A grader that could read the service's environment, its files, its network or outlive its
timeout would leak keys and other clients' data; these tests try each one from inside.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from tutorloop.errors import register_secret_env, scrub
from tutorloop.grade.base import Sample
from tutorloop.grade.graders.env import GradeEnv
from tutorloop.grade.graders.python_grader import PythonGrader
from tutorloop.grade.graders.sandbox import sandbox_problem
from tutorloop.records import GraderResult

PROBLEM = sandbox_problem()
needs_bwrap = pytest.mark.skipif(
    PROBLEM is not None, reason=f"bubblewrap sandbox unavailable: {PROBLEM}"
)
KEY = "sk-" + "sandbox-test-key-" * 2  # shaped like a key only once assembled
TOKEN = "tl-token-sandbox-test-0123456789"


def grade(source: str, item: dict[str, Any] | None = None, **env: Any) -> GraderResult:
    grader = PythonGrader(name="p", source=source)
    return asyncio.run(grader.grade(item or {}, Sample.from_text("x"), GradeEnv(**env)))


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("TUTORLOOP_API_TOKEN", TOKEN)


READ_ENVIRON = """
import os
def grade(s, i):
    seen = [repr(dict(os.environ))]
    for pid in (os.getppid(), 1, os.getpid()):
        try:
            seen.append(open(f"/proc/{pid}/environ", encoding="latin-1").read())
        except OSError as exc:
            seen.append(repr(exc))
    seen.append(repr(os.listdir("/proc")))
    raise RuntimeError(" | ".join(seen))
"""


@needs_bwrap
@pytest.mark.usefixtures("secrets")
def test_environ_and_proc_show_no_key() -> None:
    outcome = grade(READ_ENVIRON)
    assert outcome.error is not None
    message = outcome.error.message
    assert "PATH=" in message  # the grader did read /proc/<pid>/environ
    assert KEY not in message and TOKEN not in message
    assert "[redacted]" not in message  # nothing to scrub: the sandbox never saw them


@pytest.mark.usefixtures("secrets")
def test_unsandboxed_leak_is_still_scrubbed() -> None:
    outcome = grade(READ_ENVIRON, python_graders="unsandboxed")
    assert outcome.error is not None
    assert KEY not in outcome.error.message and TOKEN not in outcome.error.message


def test_scrub_knows_registered_and_key_shaped_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUTORLOOP_TEST_PROVIDER_KEY", "opaque-provider-secret-42")
    monkeypatch.setenv("SOMEVENDOR_API_KEY", "vendor-secret-value-99")
    register_secret_env("TUTORLOOP_TEST_PROVIDER_KEY")
    text = scrub("a opaque-provider-secret-42 b vendor-secret-value-99 c")
    assert text == "a [redacted] b [redacted] c"


@pytest.mark.usefixtures("secrets")
def test_grader_errors_carrying_the_key_are_scrubbed() -> None:
    source = "def grade(s, i):\n    raise ValueError(i['k'] + ' ' + i['t'])\n"
    for mode in ("sandbox", "unsandboxed"):
        if mode == "sandbox" and PROBLEM is not None:
            continue
        outcome = grade(source, {"k": KEY, "t": TOKEN}, python_graders=mode)
        assert outcome.error is not None
        assert KEY not in outcome.error.message and TOKEN not in outcome.error.message
        assert "[redacted]" in outcome.error.message


@needs_bwrap
def test_files_outside_are_invisible_and_unwritable(tmp_path: Path) -> None:
    store = tmp_path / "store.sqlite"
    store.write_text("every client's data")
    source = """
import os
def grade(s, i):
    reached = []
    for path in i["read"]:
        try:
            open(path).read()
            reached.append("read " + path)
        except OSError:
            pass
    for path in i["write"]:
        try:
            with open(path, "w") as f:
                f.write("x")
            reached.append("wrote " + path)
        except OSError:
            pass
    with open("scratch.txt", "w") as f:
        f.write("the work dir is writable")
    if reached:
        raise RuntimeError("; ".join(reached))
    return 1.0
"""
    item = {
        "read": [str(store), __file__, "/etc/passwd", "/etc/hostname"],
        "write": [str(tmp_path / "outside.txt"), "/usr/escape.txt", sys.prefix + "/escape.txt"],
    }
    outcome = grade(source, item)
    assert outcome.error is None, outcome.error
    assert outcome.score == 1.0
    assert not (tmp_path / "outside.txt").exists()
    assert not Path(sys.prefix, "escape.txt").exists()


@needs_bwrap
def test_no_socket_reaches_this_machine() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        source = """
import socket
def grade(s, i):
    try:
        socket.create_connection(("127.0.0.1", i["port"]), timeout=3).close()
    except OSError:
        return 1.0
    raise RuntimeError("connected to the service")
"""
        outcome = grade(source, {"port": port})
    assert outcome.error is None, outcome.error
    assert outcome.score == 1.0


DOUBLE_FORK = """
import os, sys, time
def grade(s, i):
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            os.execv(sys.executable, [sys.executable, "-c",
                "import sys, time; time.sleep(3); open(sys.argv[1], 'w').write('alive')",
                i["marker"], i["tag"]])
        os._exit(0)
    time.sleep(0.5)
    while True:
        pass
"""


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


@needs_bwrap
def test_double_forked_setsid_child_dies_with_the_timeout(tmp_path: Path) -> None:
    marker = tmp_path / "marker.txt"
    tag = f"tutorloop-orphan-{uuid.uuid4().hex}"
    outcome = grade(DOUBLE_FORK, {"marker": str(marker), "tag": tag}, python_timeout_s=2)
    assert outcome.error is not None and outcome.error.type == "Timeout"
    deadline = time.monotonic() + 15
    while _processes_with(tag) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _processes_with(tag) == []
    time.sleep(4)  # past the orphan's 3 s sleep: had it lived, it would have written now
    assert not marker.exists()


@needs_bwrap
@pytest.mark.skipif(os.geteuid() == 0, reason="the kernel does not apply RLIMIT_NPROC to uid 0")
def test_process_limit_stops_fork_bombs() -> None:
    source = """
import os
def grade(s, i):
    children = 0
    try:
        for _ in range(500):
            if os.fork() == 0:
                import time
                time.sleep(30)
                os._exit(0)
            children += 1
    except OSError:
        return float(children)
    raise RuntimeError("forked 500 processes")
"""
    outcome = grade(source, python_timeout_s=20)
    assert outcome.error is None, outcome.error
    assert outcome.score is not None and outcome.score < 64


def test_missing_bwrap_refuses_python_graders(tmp_path: Path) -> None:
    missing = str(tmp_path / "no-such-bwrap")
    outcome = grade("def grade(s, i):\n    return 1.0\n", bwrap_path=missing)
    assert outcome.error is not None and outcome.error.type == "SandboxUnavailable"
    assert "bubblewrap" in outcome.error.message
    allowed = grade(
        "def grade(s, i):\n    return 1.0\n", bwrap_path=missing, python_graders="unsandboxed"
    )
    assert allowed.error is None and allowed.score == 1.0


def test_python_graders_off() -> None:
    outcome = grade("def grade(s, i):\n    return 1.0\n", python_graders="off")
    assert outcome.error is not None and outcome.error.type == "PythonGradersOff"
