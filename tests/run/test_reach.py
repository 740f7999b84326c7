"""A run whose judge never reached its model is not a success; one that reached it is."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tutorloop.errors import ModelsUnreachable
from tutorloop.generate import CallPolicy, ProviderSettings
from tutorloop.records import GraderError
from tutorloop.run import ModelAccess, ModelGrading, ModelReach, RunConfig, grade_paths
from tutorloop.store import Store


def sessions(path: Path, count: int = 3) -> Path:
    turns = [
        {"role": "user", "content": "help me with fractions"},
        {"role": "assistant", "content": "What do you already know about fractions?"},
    ]
    rows = [{"session_id": f"s{n}", "domain": "math", "trajectory": turns} for n in range(count)]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def grade(tmp_path: Path, base_url: str) -> tuple[Path, ModelGrading]:
    models = ModelGrading(judge_model="openai/judge-x", judge_all=True)
    access = ModelAccess(
        CallPolicy(max_retries=0, cache=False, timeout_s=30),
        ProviderSettings(base_url=base_url),
    )
    db = tmp_path / "store.db"
    options = RunConfig(run_id="r1", store_path=db)
    grade_paths([sessions(tmp_path / "s.jsonl")], options=options, models=models, access=access)
    return db, models


def test_a_judge_whose_key_is_refused_fails_the_run(tmp_path, openai_wire, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-not-the-right-key-000")
    openai_wire.state.required_key = "sk-the-right-key-111"
    with pytest.raises(ModelsUnreachable) as caught:
        grade(tmp_path, openai_wire.base_url)
    message = caught.value.message
    assert "judge openai/judge-x: all 3 call(s) failed" in message and "HTTP 401" in message
    assert caught.value.exit_code == 4
    with Store.open(tmp_path / "store.db") as store:
        assert store.get_run("r1").status == "failed"
        assert store.count_items("r1").done == 3  # the heuristic results are kept


def test_a_judge_that_answers_badly_was_still_reached(tmp_path, openai_wire, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", openai_wire.api_key)
    grade(tmp_path, openai_wire.base_url)  # replies are not verdicts: grader errors, not exit 4
    with Store.open(tmp_path / "store.db") as store:
        assert store.get_run("r1").status == "completed"


def test_one_answer_is_enough_to_count_as_reached():
    reach = ModelReach()
    refused = GraderError(type="ProviderUnavailable", message="http://x: connection refused")
    reach.note("judge a", refused)
    reach.note("judge a", None)
    reach.note("judge b", GraderError(type="ProviderTimeout", message="timed out"))
    reach.note("grader c", GraderError(type="ProviderUnavailable", message="HTTP 500: boom"))
    reach.note("grader d", GraderError(type="ProviderRequestError", message="HTTP 403: no"))
    assert reach.never_reached() == {"grader d": "HTTP 403: no", "judge b": "timed out"}
