"""The tutorloop command as a user runs it: exit codes, tables, JSON, exports."""

import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tutorloop.bundled import bundled_sessions

GOOD = {
    "session_id": "cli.good.001",
    "domain": "math",
    "trajectory": [
        {"role": "user", "content": "help me with fractions"},
        {"role": "assistant", "content": "Sure. What do you already know about fractions?"},
    ],
}


def run(
    *args: str, cwd: Path, env_home: Path | None = None, timeout: float = 120
) -> subprocess.CompletedProcess:
    env = None
    if env_home is not None:
        import os

        env = {**os.environ, "TUTORLOOP_HOME": str(env_home)}
    return subprocess.run(
        [sys.executable, "-m", "tutorloop", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


def test_validate_lists_every_problem_and_exits_non_zero(tmp_path):
    (tmp_path / "ok.json").write_text(json.dumps(GOOD), encoding="utf-8")
    (tmp_path / "bad.json").write_text("{", encoding="utf-8")
    lines = [json.dumps(GOOD | {"session_id": "a"}), '{"session_id": "b"}']
    (tmp_path / "more.jsonl").write_text("\n".join(lines), encoding="utf-8")
    result = run("validate", str(tmp_path), "--json", cwd=tmp_path)
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["items"] == 2 and not report["ok"]
    where = {(Path(p["path"]).name, p["line"], p["field"]) for p in report["problems"]}
    assert ("bad.json", 1, None) in where
    assert ("more.jsonl", 2, "domain") in where and ("more.jsonl", 2, "trajectory") in where


def test_validate_passes_on_the_bundled_sessions(tmp_path):
    result = run("validate", str(bundled_sessions()), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "valid" in result.stdout


def test_grade_json_export_and_resume(tmp_path):
    out = tmp_path / "out"
    args = ("grade", str(bundled_sessions()), "--run-id", "r1", "--out", str(out), "--json")
    first = run(*args, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    data = json.loads(first.stdout)
    assert data["run"]["status"] == "completed"
    count = len(list(bundled_sessions().glob("*.json")))
    assert data["summary"]["items"] == count and len(data["results"]) == count
    escalated = [r for r in data["results"] if r["result"]["escalate"]]
    assert escalated and all(r["result"]["escalation_reasons"] for r in escalated)
    table = pq.read_table(out / "results.parquet")
    assert table.num_rows == count and "check.diagnosis_first" in table.column_names
    assert (out / "results.csv").exists() and (out / "manifest.json").exists()
    again = run(*args, cwd=tmp_path)
    assert json.loads(again.stdout)["summary"]["items"] == count
    assert (tmp_path / ".tutorloop" / "tutorloop.db").exists()


def test_grade_prints_a_table_and_reports_bad_inputs(tmp_path):
    (tmp_path / "ok.json").write_text(json.dumps(GOOD), encoding="utf-8")
    (tmp_path / "bad.json").write_text('{"session_id": 1}', encoding="utf-8")
    result = run("grade", str(tmp_path), cwd=tmp_path, env_home=tmp_path / "home")
    assert result.returncode == 1
    assert "cli.good.001" in result.stdout and "bad.json" in result.stdout
    assert (tmp_path / "home" / "tutorloop.db").exists()


def test_export_of_an_unknown_run_says_what_to_do(tmp_path):
    result = run("export", "nope", cwd=tmp_path)
    assert result.returncode != 0
    assert "nope" in result.stderr and "Traceback" not in result.stderr


def test_a_bad_config_is_named_without_a_traceback(tmp_path):
    config = tmp_path / "h.yaml"
    config.write_text("conciseness_token_cap: -1\n", encoding="utf-8")
    (tmp_path / "ok.json").write_text(json.dumps(GOOD), encoding="utf-8")
    result = run("grade", str(tmp_path / "ok.json"), "--config", str(config), cwd=tmp_path)
    assert result.returncode == 2
    assert "conciseness_token_cap" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("name", ["session", "eval-result", "replay-artifact"])
def test_schema_prints_json_schema(tmp_path, name):
    result = run("schema", name, cwd=tmp_path)
    assert result.returncode == 0
    assert "properties" in json.loads(result.stdout)


def test_schema_of_an_unknown_record(tmp_path):
    result = run("schema", "nope", cwd=tmp_path)
    assert result.returncode == 2 and "choose one of" in result.stderr


FAILURE_CLASSES = (
    "answered_too_early",
    "multi_question_overload",
    "no_diagnosis",
    "lecture_mode",
    "no_reinforcement",
    "over_scaffolding",
    "safety_slip",
)


def test_demo_runs_offline_and_escalates_every_failure_class(tmp_path):
    # a minute or more of CPU: on a busy shared machine the bound must be generous
    result = run("demo", cwd=tmp_path, env_home=tmp_path / "home", timeout=900)
    assert result.returncode == 0, result.stderr
    out = tmp_path / "demo-output"
    records = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    escalated: dict[str, set[str]] = {}
    for record in records:
        graded = record["result"]
        assert graded is not None, record  # every replay of the demo is graded
        if graded["escalate"]:
            assert graded["escalation_reasons"], record["item_key"]
            for failure in graded["failures"]:
                escalated.setdefault(failure["name"], set()).add(record["session_id"])
    assert set(FAILURE_CLASSES) <= set(escalated), sorted(set(FAILURE_CLASSES) - set(escalated))
    assert pq.read_table(out / "results.parquet").num_rows == len(records)

    report = (out / "report.html").read_text(encoding="utf-8")
    assert len(report) > 50_000 and "<svg" in report
    for section in ("Release gates", "Failure taxonomy", "A/B comparison", "Review queue",
                    "Agreement with author labels"):  # fmt: skip
        assert f"<h2>{section}" in report or f">{section}<" in report, section
    assert "Agreement with human labels" not in report  # author labels are named as such
    queue = report[report.index("Review queue") :]
    for name in FAILURE_CLASSES:  # each class has an escalated session in the review queue
        assert any(session in queue for session in escalated[name]), name
    status = json.loads((out / "status.json").read_text(encoding="utf-8"))
    assert status["gates"] and all(isinstance(v, bool) for v in status["gates"].values())
    for name in FAILURE_CLASSES:
        assert name in result.stdout
    next_labels = (out / "next_labels.jsonl").read_text(encoding="utf-8").splitlines()
    assert next_labels  # the bundled labels are the authors': people have yet to label these
    after = result.stdout[result.stdout.index("What next") :]  # what to do after the demo
    assert (out / "report.html").resolve().as_uri() in after
    assert "tutorloop grade path/to/logs/" in after
    for command in ("tutorloop replay path/to/logs/ --model openai/", "tutorloop grade first",
                    "tutorloop report first"):  # fmt: skip
        assert command in after, command


def test_duplicate_session_ids_are_named_and_graded_once(tmp_path):
    data = tmp_path / "dup.jsonl"
    data.write_text(json.dumps(GOOD) + "\n" + json.dumps(GOOD) + "\n", encoding="utf-8")
    result = run("grade", str(data), "--json", cwd=tmp_path)
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["summary"]["items"] == 1
    (problem,) = report["problems"]
    assert problem["path"].endswith("dup.jsonl:2") and "duplicate session" in problem["message"]
