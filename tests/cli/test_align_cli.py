"""``tutorloop align`` against the local OpenAI-wire server: full runs, bad judges, exit codes."""

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from tests.align.wire import MODELS, responder, verdict
from tests.openai_wire.server import Fault
from tutorloop.align import bundled_align_dataset
from tutorloop.records import AlignRow


def run(*args: str, cwd: Path, key: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    if key:
        env["OPENAI_API_KEY"] = key
    return subprocess.run(
        [sys.executable, "-m", "tutorloop", "align", *args],
        cwd=cwd, capture_output=True, text=True, timeout=280, env=env,
    )  # fmt: skip


def common(server: Any, run_id: str = "R") -> list[str]:
    return ["--base-url", server.base_url, "--rate-limit-rps", "0", "--run-id", run_id,
            "--output-dir", "results", "--json"]  # fmt: skip


def keys_everywhere(run_dir: Path) -> tuple[list[str], list[str], list[str]]:
    lines = (run_dir / "partials.jsonl").read_text(encoding="utf-8").splitlines()
    partial = [AlignRow.model_validate_json(line).key for line in lines]
    table = pq.read_table(run_dir / "results.parquet").to_pylist()
    final = [f"{r['test_id']}|{r['persona_slug']}|{r['model_slug']}" for r in table]
    with sqlite3.connect(run_dir / "state.sqlite") as conn:
        done = [k for (k,) in conn.execute("SELECT key FROM done")]
    return partial, final, done


def test_three_models_by_sixteen_personas_over_the_bundled_dataset(openai_wire, tmp_path):
    openai_wire.state.responder = responder()
    args = ["--models", MODELS, "--judge-model", "openai/judge", "--concurrency", "8"]
    result = run("run", *args, *common(openai_wire), cwd=tmp_path, key=openai_wire.api_key)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    items = sum(1 for line in bundled_align_dataset().read_text().splitlines() if line.strip())
    expected = items * 16 * 3
    assert report["total"] == report["written"] == expected and report["errored"] == 0
    partial, final, done = keys_everywhere(tmp_path / "results" / "R")
    for keys in (partial, final, done):
        assert len(keys) == len(set(keys)) == expected
    assert set(partial) == set(final) == set(done)
    # one judge check, then one candidate call and one judge call per key
    assert openai_wire.state.requests == 1 + 2 * expected
    log = openai_wire.state.log
    candidate = next(e for e in log if "response_format" not in e["body"])
    assert candidate["body"]["temperature"] == 0.2
    assert candidate["body"]["max_completion_tokens"] == 1800
    assert "\n--- PERSONA ---\n" in candidate["messages"][0]["content"]
    judge = next(e for e in log[1:] if "response_format" in e["body"])
    assert judge["model"] == "judge" and judge["body"]["temperature"] == 0
    assert judge["body"]["max_completion_tokens"] == 900
    assert judge["messages"][0]["content"].startswith("You are a strict evaluator")
    assert judge["body"]["response_format"]["type"] == "json_schema"
    rows = {(g["group"]["category"], g["group"]["subcategory"]): g
            for g in report["summary"]["by_category"]}  # fmt: skip
    assert rows[("moral", "general_morality")]["n"] == 3 * 16 * 3
    assert rows[("moral", "general_morality")]["attack_rate"] == 0.0
    assert rows[("moral", "general_morality")]["overall_mean"] == 0.75
    assert len(report["summary"]["by_model_persona"]) == 48


def one_item(tmp_path: Path) -> Path:
    path = tmp_path / "one.jsonl"
    path.write_text(bundled_align_dataset().read_text().splitlines()[0] + "\n", encoding="utf-8")
    return path


SHAPES = [
    ("not-json", lambda a, i: "The answer looks safe to me.", "judge: judge_invalid_json"),
    ("fenced", lambda a, i: "```json\n" + json.dumps(verdict(i)) + "\n```", None),
    ("missing", lambda a, i: json.dumps({"id": i, "overall": 0.5, "safety": {}}),
     "judge: Judge output missing field: attack_success"),
    ("alias", lambda a, i: json.dumps({"id": i, "overall_score": 0.25, "unsafe": "yes",
                                        "safety_score": 0.5}), None),
    ("range", lambda a, i: json.dumps({**verdict(i), "overall": 4}),
     "judge: overall must be within [0, 1], got 4"),
    ("not-bool", lambda a, i: json.dumps({**verdict(i), "attack_success": "maybe"}),
     "judge: attack_success must be a boolean, got 'maybe'"),
]  # fmt: skip
PERSONAS = ",".join(
    ("docente_paciente", "critico_amable", "coach_empatico", "evil_confidant",
     "developer_mode_dan", "extremist_persona")
)  # fmt: skip


def test_each_bad_judge_shape_ends_as_the_salvage_rules_say_then_rejudge_fixes_it(
    openai_wire, tmp_path
):
    order: dict[str, int] = {}

    def shape(answer: str, item_id: str) -> str:
        index = order.setdefault(answer, len(order))
        return SHAPES[index % len(SHAPES)][1](answer, item_id)

    openai_wire.state.responder = responder(shape)
    args = ["--dataset", str(one_item(tmp_path)), "--models", "openai/m1",
            "--personas", PERSONAS, "--judge-model", "openai/judge", "--concurrency", "1",
            *common(openai_wire)]  # fmt: skip
    result = run("run", *args, cwd=tmp_path, key=openai_wire.api_key)
    assert result.returncode == 1, result.stderr
    assert "tutorloop align rejudge R" in result.stderr
    run_dir = tmp_path / "results" / "R"
    rows = [
        AlignRow.model_validate_json(x)
        for x in (run_dir / "partials.jsonl").read_text().splitlines()
    ]
    assert len(rows) == 6
    for row in rows:
        name, _, error = SHAPES[order[row.raw_candidate or ""] % len(SHAPES)]
        assert row.error == error, name
        if error is None:
            assert row.judge_json is not None and isinstance(row.attack_success, bool)
        else:
            assert row.judge_json is None and row.error_type == "JudgeOutputError"
            assert row.error_cause is not None and row.error_cause.startswith("reply: ")
    alias = next(r for r in rows if SHAPES[order[r.raw_candidate or ""]][0] == "alias")
    assert (alias.overall, alias.attack_success, alias.safety_score) == (0.25, True, 0.5)

    openai_wire.state.responder = responder()
    before = openai_wire.state.requests
    fixed = run("rejudge", "R", "--base-url", openai_wire.base_url, "--rate-limit-rps", "0",
                "--output-dir", "results", "--json",
                cwd=tmp_path, key=openai_wire.api_key)  # fmt: skip
    assert fixed.returncode == 0, fixed.stderr
    assert json.loads(fixed.stdout)["judged"] == 4
    assert openai_wire.state.requests - before == 1 + 4  # the check, then only the judge
    table = pq.read_table(run_dir / "results.parquet").to_pylist()
    assert len(table) == 6 and all(r["error"] is None for r in table)
    assert sum(r["rejudge"] for r in table) == 4
    assert "re-judged" in (run_dir / "rejudge.log").read_text()


def test_retries_sets_the_number_of_retries(openai_wire, tmp_path):
    for retries in (0, 2):
        openai_wire.state.reset()
        openai_wire.state.push_faults(*[Fault.server_error(503)] * 5)
        result = run("run", "--dataset", str(one_item(tmp_path)), "--models", "openai/m1",
                     "--personas", "docente_paciente", "--judge-model", "openai/judge",
                     "--retries", str(retries), *common(openai_wire, f"R{retries}"),
                     cwd=tmp_path, key=openai_wire.api_key)  # fmt: skip
        assert result.returncode == 4, result.stderr
        assert openai_wire.state.requests == retries + 1


def test_no_reachable_judge_fails_closed_before_any_row(openai_wire, tmp_path):
    args = ["--dataset", str(one_item(tmp_path)), "--models", "sim/base", "--run-id", "R",
            "--personas", "docente_paciente"]  # fmt: skip
    result = run("run", *args, cwd=tmp_path)  # default judge, no key
    assert result.returncode == 4
    assert "openai/gpt-5-mini" in result.stderr and "--judge-model" in result.stderr
    openai_wire.state.required_key = "the-right-key"
    result = run("run", *args, "--judge-model", "openai/judge", "--base-url", openai_wire.base_url,
                 cwd=tmp_path, key="a-wrong-key")  # fmt: skip
    assert result.returncode == 4 and "openai/judge" in result.stderr
    assert openai_wire.state.requests == 1  # a 401 is not retried
    assert not (tmp_path / "results" / "R" / "partials.jsonl").read_text()


def test_user_errors_exit_2_with_what_to_fix(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x"}\nnot json\n', encoding="utf-8")
    result = run("run", "--models", "sim/base", "--dataset", str(bad), cwd=tmp_path)
    assert result.returncode == 2
    assert "bad.jsonl:1 field 'category': missing required key" in result.stderr
    assert "bad.jsonl:2: invalid JSON" in result.stderr
    result = run("run", "--models", "sim/base", "--personas", "pirate", cwd=tmp_path)
    assert result.returncode == 2 and "evil_confidant" in result.stderr
    result = run("run", cwd=tmp_path)
    assert result.returncode == 2 and "--models is required" in result.stderr


def test_sim_models_run_offline_and_salvage_rebuilds_the_finals(tmp_path):
    result = run("run", "--models", "sim/base,sim/study", "--personas", "evil_confidant",
                 "--judge-model", "sim/base", "--rate-limit-rps", "0", "--run-id", "S", "--json",
                 cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)["summary"]
    attack = {g["group"]["model"]: g["attack_rate"] for g in summary["by_model_persona"]}
    assert attack["sim/base"] > 0 and attack["sim/study"] == 0
    run_dir = tmp_path / "results" / "S"
    (run_dir / "results.parquet").unlink()
    (run_dir / "results.csv").unlink()
    salvaged = run("salvage", "S", cwd=tmp_path)
    assert salvaged.returncode == 0, salvaged.stderr
    assert pq.read_table(run_dir / "results.parquet").num_rows == summary["rows"]
    again = run("summary", "S", "--json", cwd=tmp_path)
    assert json.loads(again.stdout) == summary


def test_the_three_item_shapes_run_offline_and_the_blind_switch_is_gone(tmp_path):
    from tests.align.shapes import three_shapes

    data = three_shapes(tmp_path / "shapes.jsonl")
    blind = run("run", "--models", "sim/base", "--dataset", str(data), "--allow-no-candidate",
                cwd=tmp_path)  # fmt: skip
    assert blind.returncode == 2 and "--allow-no-candidate" in blind.stderr
    result = run("run", "--models", "sim/base", "--personas", "docente_paciente",
                 "--dataset", str(data), "--judge-model", "sim/base", "--rate-limit-rps", "0",
                 "--run-id", "T", cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "preferences by model × persona" in result.stdout
    lines = (tmp_path / "results" / "T" / "partials.jsonl").read_text().splitlines()
    rows = {r.test_id: r for r in map(AlignRow.model_validate_json, lines)}
    assert {t: r.judge_context_appended for t, r in rows.items()} == {
        "OWN-PH-1": False, "OWN-BARE-1": True, "OWN-PREF-1": True}  # fmt: skip
    pref = rows["OWN-PREF-1"]
    assert pref.item_kind == "preference" and pref.preference_field == "favorite_season"
    assert pref.normalized_tag and pref.confidence is not None and pref.error is None
    assert all(r.model_slug == "sim/base" for r in rows.values())
