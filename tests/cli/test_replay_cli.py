"""``tutorloop replay`` as a user runs it: offline simulators, real HTTP, errors and exit codes."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.openai_wire.server import Fault
from tutorloop.bundled import bundled_sessions
from tutorloop.cli.replay_cmd import parse_fail_on_error
from tutorloop.errors import ConfigError
from tutorloop.run import errors_exceed


def run(*args: str, cwd: Path, key: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "TUTORLOOP_HOME": str(cwd / "home")}
    if key:
        env["OPENAI_API_KEY"] = key
    return subprocess.run(
        [sys.executable, "-m", "tutorloop", *args],
        cwd=cwd, capture_output=True, text=True, timeout=180, env=env,
    )  # fmt: skip


def three_sessions(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    for path in sorted(bundled_sessions().glob("*.json"))[:3]:
        (folder / path.name).write_bytes(path.read_bytes())
    return folder


def test_replay_then_grade_shows_conditions_side_by_side(tmp_path):
    data = three_sessions(tmp_path)
    first = run("replay", str(data), "--model", "sim/base", "--condition", "human,base",
                "--run-id", "R", cwd=tmp_path)  # fmt: skip
    assert first.returncode == 0, first.stderr
    second = run("replay", str(data), "--model", "sim/study", "--condition", "overlay",
                 "--run-id", "R", "--json", cwd=tmp_path)  # fmt: skip
    report = json.loads(second.stdout)
    assert report["replayed"] == 3 and report["calls"]["cost_usd"] == 0
    artifacts = sorted(Path(report["artifacts_dir"]).glob("*.json"))
    assert len(artifacts) == 9
    graded = run("grade", "R", cwd=tmp_path)
    assert graded.returncode == 0, graded.stderr
    assert "Conditions side by side" in graded.stdout
    for condition in ("human", "base", "overlay"):
        assert condition in graded.stdout


def test_free_running_with_personas(tmp_path):
    data = three_sessions(tmp_path)
    result = run("replay", str(data), "--mode", "free_running", "--condition", "overlay",
                 "--persona", "answer_seeker,timeboxed", "--max-turns", "3", "--json",
                 cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["replayed"] == 6


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--condition", "base,sideways"], "sideways"),
        (["--mode", "backwards"], "teacher_forced"),
        (["--persona", "answer_seeker"], "free_running"),
        (["--mode", "free_running", "--persona", "nobody"], "answer_seeker"),
        (["--model", "gpt-4"], "provider/model"),
        (["--fail-on-error", "lots"], "--fail-on-error"),
    ],
)
def test_bad_options_are_named(tmp_path, args, words):
    result = run("replay", str(three_sessions(tmp_path)), *args, cwd=tmp_path)
    assert result.returncode == 2
    assert words in result.stderr and "Traceback" not in result.stderr


def test_errors_are_data_and_fail_on_error_decides(openai_wire, tmp_path):
    data = three_sessions(tmp_path)
    common = ["replay", str(data), "--model", "openai/t", "--base-url", openai_wire.base_url,
              "--condition", "base", "--max-retries", "0", "--concurrency", "1",
              "--json"]  # fmt: skip
    openai_wire.state.push_faults(Fault.http_status(404))
    strict = run(*common, "--run-id", "A", cwd=tmp_path, key=openai_wire.api_key)
    assert strict.returncode == 1
    report = json.loads(strict.stdout)
    assert report["errored"] == 1 and report["replayed"] == 2
    assert "HTTP 404" in report["errors"][0]
    openai_wire.state.push_faults(Fault.http_status(404))
    lenient = run(*common, "--run-id", "B", "--fail-on-error", "0.5", cwd=tmp_path,
                  key=openai_wire.api_key)  # fmt: skip
    assert lenient.returncode == 0, lenient.stdout


def test_no_key_fails_at_start_with_advice(tmp_path):
    env_key = os.environ.pop("OPENAI_API_KEY", None)
    try:
        result = run("replay", str(three_sessions(tmp_path)), "--model", "openai/x",
                     "--condition", "base", "--json", cwd=tmp_path)  # fmt: skip
    finally:
        if env_key is not None:
            os.environ["OPENAI_API_KEY"] = env_key
    assert result.returncode == 2
    assert "OPENAI_API_KEY" in result.stderr and "Traceback" not in result.stderr


def test_fail_on_error_parsing():
    assert parse_fail_on_error("3") == 3 and parse_fail_on_error("0.1") == 0.1
    for bad in ("-1", "2.5", "x"):
        with pytest.raises(ConfigError):
            parse_fail_on_error(bad)
    assert errors_exceed(1, 10, 0) and not errors_exceed(3, 10, 3)
    assert errors_exceed(2, 10, 0.1) and not errors_exceed(1, 10, 0.1)


def test_an_unknown_price_is_said_not_zero(openai_wire, tmp_path):
    data = three_sessions(tmp_path)
    common = ["replay", str(data), "--model", "openai/my-local-model", "--condition", "base",
              "--base-url", openai_wire.base_url]  # fmt: skip
    shown = run(*common, "--run-id", "P", "--out", str(tmp_path / "P"), cwd=tmp_path,
                key=openai_wire.api_key)  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    assert "price unknown: openai/my-local-model" in shown.stdout
    metas = [
        json.loads(p.read_text())["regeneration_meta"] for p in (tmp_path / "P").glob("*.json")
    ]
    assert len(metas) == 3 and all(m["cost_usd"] is None for m in metas)
    again = run(*common, "--run-id", "Q", "--out", str(tmp_path / "Q"), "--json", cwd=tmp_path,
                key=openai_wire.api_key)  # fmt: skip
    calls = json.loads(again.stdout)["calls"]
    assert calls["paid"] == 0 and calls["cached"] > 0 and calls["unpriced_models"] == []
    reused = [
        json.loads(p.read_text())["regeneration_meta"] for p in (tmp_path / "Q").glob("*.json")
    ]
    assert all(m["cost_usd"] == 0 for m in reused)  # answers paid by P cost Q nothing
    report = run("report", "P", "--out", str(tmp_path / "report.html"), cwd=tmp_path)
    assert report.returncode == 0, report.stderr
    assert "price unknown" in (tmp_path / "report.html").read_text(encoding="utf-8")
