"""Grading with model graders and the judge, end to end through the CLI."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.openai_wire.server import Reply
from tutorloop.bundled import bundled_graders, bundled_sessions

SEED_EVAL = Path(__file__).parent.parent / "fixtures" / "graders" / "seed_full_tutoring_eval.json"
RANGES = {g["name"]: g for g in json.loads(SEED_EVAL.read_text())["testing_criteria"]}


def run(*args: str, cwd: Path, key: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    env["TUTORLOOP_HOME"] = str(cwd / "home")
    if key:
        env["OPENAI_API_KEY"] = key
    return subprocess.run(
        [sys.executable, "-m", "tutorloop", *args],
        cwd=cwd, capture_output=True, text=True, timeout=180, env=env,
    )  # fmt: skip


def some_sessions(tmp_path: Path, n: int = 3) -> Path:
    folder = tmp_path / "in"
    folder.mkdir(exist_ok=True)
    for path in sorted(bundled_sessions().glob("*.json"))[:n]:
        (folder / path.name).write_bytes(path.read_bytes())
    return folder


def test_bundled_graders_run_offline_with_a_simulated_grader_model(tmp_path):
    result = run("grade", str(some_sessions(tmp_path)), "--graders", str(bundled_graders()),
                 "--grader-model", "sim/study", "--json", cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    for row in json.loads(result.stdout)["results"]:
        graders = row["result"]["graders"]
        assert len(graders) == 7
        for grader in graders:
            assert grader["error"] is None and grader["score"] is not None
            assert grader["name"] and grader["version"].startswith("score_model/")


def test_the_seed_eval_runs_against_a_server_and_follows_range_and_threshold(openai_wire, tmp_path):
    scores = {"Answer Accuracy": 1, "Clarity of Explanation": 1, "Staying on Topic": 0,
              "Adaptivity to Mistakes": 2, "Scaffolding Support": 1,
              "Encouragement & Motivation": 2, "Pedagogical Reasoning Quality": 8}  # fmt: skip

    def responder(body: dict) -> str:
        system = body["messages"][0]["content"]
        name = next(n for n, g in RANGES.items() if g["input"][0]["content"] == system)
        return json.dumps({"steps": [{"description": name, "conclusion": "ok"}],
                           "result": scores[name]})  # fmt: skip

    openai_wire.state.responder = responder
    result = run("grade", str(some_sessions(tmp_path, 1)), "--graders", str(SEED_EVAL),
                 "--base-url", openai_wire.base_url, "--json", cwd=tmp_path,
                 key=openai_wire.api_key)  # fmt: skip
    assert result.returncode == 0, result.stderr
    (row,) = json.loads(result.stdout)["results"]
    got = {g["name"]: (g["score"], g["passed"]) for g in row["result"]["graders"]}
    for name, score in scores.items():
        assert got[name] == (score, score >= RANGES[name]["pass_threshold"])
    models = {entry["body"]["model"] for entry in openai_wire.state.log}
    assert models == {"gpt-4"}


@pytest.mark.parametrize(
    ("reply", "words"),
    [
        (Reply(text="I think it is good"), "not JSON"),
        (Reply(json_obj={"score": 1}), "no 'result'"),
        (Reply(json_obj={"steps": [], "result": 7}), "outside the range"),
        (Reply(json_obj={"steps": [], "result": "high"}), "not a number"),
    ],
)
def test_bad_grader_replies_are_recorded_errors_not_crashes(openai_wire, tmp_path, reply, words):
    graders = tmp_path / "g.yaml"
    graders.write_text(
        "- type: score_model\n  name: s\n  model: m\n  range: [0, 2]\n  pass_threshold: 1\n"
        "  input: [{role: user, content: '{{ item.session_id }}'}]\n",
        encoding="utf-8",
    )
    openai_wire.state.push_replies(reply)
    result = run("grade", str(some_sessions(tmp_path, 1)), "--graders", str(graders),
                 "--base-url", openai_wire.base_url, "--max-retries", "0", "--json",
                 cwd=tmp_path, key=openai_wire.api_key)  # fmt: skip
    assert result.returncode == 0, result.stderr
    (row,) = json.loads(result.stdout)["results"]
    (grader,) = row["result"]["graders"]
    assert grader["error"] and words in grader["error"]["message"]
    reasons = [r["code"] for r in row["result"]["escalation_reasons"]]
    assert "grader_error" in reasons


def test_a_label_outside_the_list_is_an_error(openai_wire, tmp_path):
    graders = tmp_path / "g.yaml"
    graders.write_text(
        "- type: label_model\n  name: l\n  model: m\n  labels: [good, bad]\n"
        "  passing_labels: [good]\n  input: [{role: user, content: hi}]\n",
        encoding="utf-8",
    )
    openai_wire.state.push_replies(Reply(json_obj={"steps": [], "result": "meh"}))
    result = run("grade", str(some_sessions(tmp_path, 1)), "--graders", str(graders),
                 "--base-url", openai_wire.base_url, "--json", cwd=tmp_path,
                 key=openai_wire.api_key)  # fmt: skip
    (row,) = json.loads(result.stdout)["results"]
    assert "not one of" in row["result"]["graders"][0]["error"]["message"]


def test_heuristics_first_calls_the_judge_only_where_unsure(tmp_path):
    data = some_sessions(tmp_path, 20)
    plain = json.loads(run("grade", str(data), "--json", cwd=tmp_path).stdout)
    unsure = sum(
        any(c["verdict"] == "unsure" for c in row["result"]["checks"]) for row in plain["results"]
    )
    judged = run("grade", str(data), "--judge", "sim/study", "--json", cwd=tmp_path)
    assert judged.returncode == 0, judged.stderr
    rows = json.loads(judged.stdout)["results"]
    sources = [{c["source"] for c in row["result"]["checks"]} for row in rows]
    assert sum("judge" in s for s in sources) == unsure > 0
    everyone = run("grade", str(data), "--judge", "sim/study", "--judge-all", "--json",
                   cwd=tmp_path)  # fmt: skip
    codes = {
        r["code"]
        for row in json.loads(everyone.stdout)["results"]
        for r in row["result"]["escalation_reasons"]
    }
    assert everyone.returncode == 0 and codes  # disagreements, if any, are reasons


def test_judge_all_without_a_judge_fails_at_start(tmp_path):
    result = run("grade", str(some_sessions(tmp_path, 1)), "--judge-all", cwd=tmp_path)
    assert result.returncode == 2 and "--judge" in result.stderr


def test_a_model_grader_without_a_key_fails_at_start_with_advice(tmp_path):
    result = run("grade", str(some_sessions(tmp_path, 1)), "--graders", str(SEED_EVAL),
                 cwd=tmp_path)  # fmt: skip
    assert result.returncode == 2
    assert "OPENAI_API_KEY" in result.stderr and "Traceback" not in result.stderr


def test_grader_config_errors_name_file_grader_and_field(tmp_path):
    graders = tmp_path / "bad.yaml"
    graders.write_text(
        "- type: string_check\n  name: ok\n  input: a\n  reference: b\n  operation: eq\n"
        "- type: string_check\n  name: broken\n  input: a\n  reference: b\n  operation: like_ish\n",
        encoding="utf-8",
    )
    result = run("grade", str(some_sessions(tmp_path, 1)), "--graders", str(graders),
                 cwd=tmp_path)  # fmt: skip
    assert result.returncode == 2
    for words in ("bad.yaml", "grader 1", "'broken'", "operation", "ilike"):
        assert words in result.stderr


COSINE = (
    "- type: text_similarity\n  name: cos\n  evaluation_metric: cosine\n  pass_threshold: 0.5\n"
    "  input: '{{ sample.output_text }}'\n"
    "  reference: '{{ item.session_id }} {{ sample.output_text }}'\n"
)


def test_cosine_without_an_embedding_model_is_a_recorded_error(tmp_path):
    graders = tmp_path / "g.yaml"
    graders.write_text(COSINE, encoding="utf-8")
    result = run("grade", str(some_sessions(tmp_path, 1)), "--graders", str(graders), "--json",
                 cwd=tmp_path)  # fmt: skip
    (row,) = json.loads(result.stdout)["results"]
    assert "embedding model" in row["result"]["graders"][0]["error"]["message"]


@pytest.mark.parametrize("where", ["sim", "server"])
def test_cosine_with_an_embedding_model(openai_wire, tmp_path, where):
    graders = tmp_path / "g.yaml"
    graders.write_text(COSINE, encoding="utf-8")
    model = "sim/embed" if where == "sim" else "openai/text-embedding-3-small"
    args = ["grade", str(some_sessions(tmp_path, 2)), "--graders", str(graders),
            "--embedding-model", model, "--base-url", openai_wire.base_url, "--json"]  # fmt: skip
    result = run(*args, cwd=tmp_path, key=openai_wire.api_key)
    assert result.returncode == 0, result.stderr
    for row in json.loads(result.stdout)["results"]:
        (grader,) = row["result"]["graders"]
        assert grader["error"] is None and 0.5 < grader["score"] <= 1.0 and grader["passed"]
    if where == "server":
        assert openai_wire.state.by_path["/v1/embeddings"] == 2
