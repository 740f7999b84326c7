"""``tutorloop import``: logs of any format to one sessions file, then graded in one run."""

import json
import subprocess
import sys
from pathlib import Path

FIXTURES = Path(__file__).parents[1] / "load" / "importers" / "fixtures"


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tutorloop", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**__import__("os").environ, "TUTORLOOP_HOME": str(cwd / "home")},
    )


def test_import_writes_sessions_and_a_summary_per_format(tmp_path):
    out = tmp_path / "sessions.jsonl"
    result = run("import", str(FIXTURES / "good"), "--to", str(out), "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["sessions"] == 11 and not summary["problems"]
    assert summary["formats"]["otel"] == {"files": 1, "sessions": 2}
    assert summary["formats"]["langsmith"] == {"files": 1, "sessions": 1}
    assert len(out.read_text(encoding="utf-8").splitlines()) == 11
    checked = run("validate", str(out), cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout


def test_import_lists_bad_records_and_keeps_the_good_ones(tmp_path):
    out = tmp_path / "sessions.jsonl"
    result = run("import", str(FIXTURES / "bad" / "turns.csv"), "--to", str(out), cwd=tmp_path)
    assert result.returncode == 1
    assert "turns.csv:7 field 'role': unknown role 'narrator'" in result.stdout
    assert "1 session(s) written" in result.stdout
    assert [json.loads(x)["session_id"] for x in out.read_text().splitlines()] == ["csv.good"]


def test_import_with_an_unknown_format_says_the_choices(tmp_path):
    result = run("import", str(FIXTURES / "good"), "--to", "x.jsonl", "--format", "otlp",
                 cwd=tmp_path)  # fmt: skip
    assert result.returncode == 2
    assert "unknown log format 'otlp'" in result.stderr and "otel" in result.stderr
    assert not (tmp_path / "x.jsonl").exists()


def test_a_folder_mixing_formats_grades_in_one_run_from_the_command_line(tmp_path):
    result = run("grade", str(FIXTURES / "good"), "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["summary"]["items"] == 11 and not report["problems"]


def test_imported_logs_replay_through_a_model_and_grade(tmp_path):
    logs = str(FIXTURES / "good" / "turns.csv")
    replay = run("replay", logs, "--model", "sim/base", "--condition", "human,base",
                 "--run-id", "r1", "--json", cwd=tmp_path)  # fmt: skip
    assert replay.returncode == 0, replay.stdout + replay.stderr
    assert json.loads(replay.stdout)["replayed"] == 4
    graded = run("grade", "r1", "--json", cwd=tmp_path)
    assert graded.returncode == 0, graded.stdout + graded.stderr
    assert json.loads(graded.stdout)["summary"]["items"] == 4


def test_grade_and_replay_take_the_format_of_their_inputs(tmp_path):
    chat = FIXTURES / "good" / "openai_chat.jsonl"
    forced = run("grade", str(chat), "--format", "openai-chat", "--json", cwd=tmp_path)
    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert json.loads(forced.stdout)["summary"]["items"] >= 1
    wrong = run("grade", str(chat), "--format", "csv", "--json", cwd=tmp_path)
    assert json.loads(wrong.stdout)["problems"], "a chat log read as CSV is reported, not graded"
    unknown = run("grade", str(chat), "--format", "otlp", cwd=tmp_path)
    assert unknown.returncode == 2 and "otel" in unknown.stderr
    replay = run("replay", str(FIXTURES / "good" / "turns.csv"), "--format", "csv",
                 "--model", "sim/base", "--condition", "base", "--json", cwd=tmp_path)  # fmt: skip
    assert replay.returncode == 0, replay.stdout + replay.stderr
    assert json.loads(replay.stdout)["replayed"] == 2
