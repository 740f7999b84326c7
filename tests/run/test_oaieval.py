"""Registry evals run by name on the run engine: against the simulator and over real HTTP."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from tests.openai_wire.request_text import last_user_text
from tests.openai_wire.server import Fault
from tutorloop.errors import ConfigError, InputProblems, ModelsUnreachable
from tutorloop.generate import CallContext, CallPolicy, GenerateRequest, ProviderSettings, Purpose
from tutorloop.records import OaiEvalReport
from tutorloop.run import (
    ModelAccess,
    OaiEvalOptions,
    RunConfig,
    oaieval,
    oaieval_async,
    prepare_eval,
)
from tutorloop.sim import SimProvider
from tutorloop.store import Store

FIXTURE = Path(__file__).parents[1] / "fixtures" / "registry"
CAPITALS = {"Peru": "Lima", "Kenya": "Nairobi", "Canada": "Ottawa", "Norway": "Oslo"}


def capital(text: str) -> str:
    """A model that knows every capital but Kenya's."""
    for country, city in CAPITALS.items():
        if country in text and country != "Kenya":
            return f"{city}."
    return "I am not sure."


def run_sim(
    tmp_path: Path, options: OaiEvalOptions, outputs: Any, run_id: str | None = None
) -> OaiEvalReport:
    async def go() -> OaiEvalReport:
        context = CallContext(
            CallPolicy(cache=False), providers={"sim": SimProvider(outputs=outputs)}
        )
        async with context:
            with Store.open(tmp_path / "t.db") as store:
                return await oaieval_async(options, store, context, RunConfig(run_id=run_id))

    return asyncio.run(go())


def last_text(request: GenerateRequest) -> str:
    return request.messages[-1].content


def test_test_match_runs_by_name_against_the_simulator(tmp_path):
    seen: list[GenerateRequest] = []

    def answer(request: GenerateRequest) -> str:
        seen.append(request)
        return capital(last_text(request))

    options = OaiEvalOptions(model="sim/study", eval_name="test-match", registry=FIXTURE)
    report = run_sim(tmp_path, options, answer, run_id="R1")
    assert report.eval_name == "test-match.s1.simple-v0" and report.class_name == "Match"
    assert report.samples == 4 and report.errored == 0
    assert report.final_report["accuracy"] == 0.75
    assert isinstance(report.final_report["boostrap_std"], float)
    assert {r.purpose for r in seen} == {Purpose.REGISTRY_CANDIDATE}
    assert all(r.temperature == 0.0 for r in seen)
    first = next(r for r in seen if "Peru" in last_text(r))
    assert [m.role for m in first.messages] == ["system", "user"]  # the chat input as given
    with Store.open(tmp_path / "t.db") as store:
        manifest = store.get_run("R1")
        assert manifest.kind == "oaieval" and manifest.status == "completed"
        assert manifest.config["final_report"] == report.final_report
        items = {i.item_key: i for i in store.iter_items("R1")}
    assert sorted(items) == [f"test-match.s1.{i}" for i in range(4)]
    kenya = items["test-match.s1.1"].result
    assert kenya is not None and kenya.escalate and kenya.graders[0].passed is False


def test_a_rerun_with_the_same_run_id_grades_nothing_twice(tmp_path):
    calls: list[str] = []

    def answer(request: GenerateRequest) -> str:
        calls.append(last_text(request))
        return capital(last_text(request))

    options = OaiEvalOptions(model="sim/study", eval_name="test-includes", registry=FIXTURE)
    first = run_sim(tmp_path, options, answer, run_id="R")
    again = run_sim(tmp_path, options, answer, run_id="R")
    assert len(calls) == 4
    assert first.final_report == again.final_report == {"accuracy": 0.75}


def test_max_samples_picks_with_the_seed(tmp_path):
    options = OaiEvalOptions(
        model="sim/study", eval_name="test-match", registry=FIXTURE, max_samples=2, seed=3
    )
    keys = prepare_eval(options).keys
    assert len(keys) == 2 and keys == sorted(keys, key=lambda k: int(k.rsplit(".", 1)[1]))
    assert prepare_eval(options).keys == keys
    report = run_sim(tmp_path, options, lambda r: capital(last_text(r)))
    assert report.samples == 2


def test_a_failed_call_is_the_sample_error_and_the_rest_are_graded(tmp_path):
    def answer(request: GenerateRequest) -> str:
        if "Peru" in last_text(request):
            raise RuntimeError("the candidate fell over")
        return capital(last_text(request))

    options = OaiEvalOptions(model="sim/study", eval_name="test-match", registry=FIXTURE)
    report = run_sim(tmp_path, options, answer, run_id="E")
    assert report.errored == 1 and report.samples == 4
    assert report.final_report["accuracy"] == pytest.approx(2 / 3)  # graded samples only
    with Store.open(tmp_path / "t.db") as store:
        errored = [i for i in store.iter_items("E") if i.status == "error"]
    assert [i.item_key for i in errored] == ["test-match.s1.0"]
    assert errored[0].error is not None and "fell over" in errored[0].error.message


def test_bad_sample_lines_stop_the_run_before_any_call(tmp_path):
    root = tmp_path / "reg"
    (root / "evals").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "evals" / "e.yaml").write_text(
        "e:\n  id: e.s1.v0\ne.s1.v0:\n  class: Match\n  args:\n    samples_jsonl: s.jsonl\n"
    )
    (root / "data" / "s.jsonl").write_text('{"input": "a", "ideal": "b"}\n{"ideal": "b"}\n')
    calls: list[GenerateRequest] = []
    options = OaiEvalOptions(model="sim/study", eval_name="e", registry=root)
    with pytest.raises(InputProblems) as caught:
        run_sim(tmp_path, options, lambda r: calls.append(r) or "b")
    assert [(p.line, p.field) for p in caught.value.problems] == [(2, "input")]
    assert calls == []


def test_a_model_graded_eval_needs_a_judge():
    options = OaiEvalOptions(model="sim/study", eval_name="explain-check", registry=FIXTURE)
    with pytest.raises(ConfigError) as caught:
        prepare_eval(options)
    assert caught.value.field == "--judge"


# --------------------------------------------------------------------------- over real HTTP


@pytest.fixture
def access(openai_wire, monkeypatch) -> ModelAccess:
    monkeypatch.setenv("OPENAI_API_KEY", openai_wire.api_key)
    return ModelAccess(
        CallPolicy(cache=False, max_retries=0, backoff_base_s=0.01, timeout_s=10.0),
        ProviderSettings(base_url=openai_wire.base_url),
    )


@pytest.mark.parametrize("model", ["openai/gpt-4.1-mini", "gpt-4.1-mini"])
def test_test_match_runs_against_a_model_over_http(openai_wire, access, tmp_path, model):
    openai_wire.state.responder = lambda body: capital(last_user_text(body))
    options = OaiEvalOptions(model=model, eval_name="test-match", registry=FIXTURE)
    report = oaieval(options, RunConfig(store_path=tmp_path / "t.db"), access)
    assert report.model == model, "the model is recorded as given (as oaieval's command line)"
    assert report.final_report["accuracy"] == 0.75 and report.errored == 0
    chats = [e for e in openai_wire.state.log if e["path"].endswith("/chat/completions")]
    assert len(chats) == 4
    assert all(e["body"]["temperature"] == 0.0 for e in chats)
    assert all(e["model"] == "gpt-4.1-mini" for e in chats)


def test_model_graded_eval_with_a_local_judge_over_http(openai_wire, access, tmp_path):
    def reply(body: dict[str, Any]) -> str:
        text = last_user_text(body)
        if "Reference:" in text:  # the judge: agree when the answer holds the reference
            answer = text.split("Answer given:", 1)[1].split("\n", 1)[0]
            reference = text.split("Reference:", 1)[1].split("\n", 1)[0].strip()
            return "Comparing the two.\n" + ("Yes" if reference in answer else "No")
        return "42" if "6 times 7" in text else "3"

    openai_wire.state.responder = reply
    options = OaiEvalOptions(
        model="openai/cand", eval_name="explain-check", registry=FIXTURE, judge_model="openai/judge"
    )
    report = oaieval(options, RunConfig(store_path=tmp_path / "t.db"), access)
    assert report.class_name == "ModelBasedClassify" and report.judge_model == "openai/judge"
    assert report.final_report == {
        "invalid_request_during_completion": 0,
        "invalid_request_during_evaluation": 0,
        "score/choice": 0.5,
        "counts/choice/No": 1,
        "counts/choice/Yes": 1,
    }
    judged = [e for e in openai_wire.state.log if e["model"] == "judge"]
    assert len(judged) == 2
    prompt = judged[0]["messages"][-1]["content"]
    assert "Question: What is" in prompt and "alone on the last line" in prompt


def test_a_refused_judge_counts_as_an_invalid_request(openai_wire, access, tmp_path):
    openai_wire.state.responder = lambda body: "Yes"
    openai_wire.state.push_faults(Fault.slow(0.0), Fault.http_status(400))  # candidate, judge
    options = OaiEvalOptions(
        model="openai/cand", eval_name="explain-check", registry=FIXTURE,
        judge_model="openai/judge", max_samples=1,
    )  # fmt: skip
    report = oaieval(options, RunConfig(store_path=tmp_path / "t.db"), access)
    assert report.errored == 1
    assert report.final_report["invalid_request_during_evaluation"] == 1


def test_a_candidate_that_never_answers_is_models_unreachable(openai_wire, access, tmp_path):
    openai_wire.state.push_faults(*[Fault.http_status(401) for _ in range(4)])
    options = OaiEvalOptions(model="openai/gpt-4.1-mini", eval_name="test-match", registry=FIXTURE)
    with pytest.raises(ModelsUnreachable) as caught:
        oaieval(options, RunConfig(store_path=tmp_path / "t.db", run_id="U"), access)
    assert "model openai/gpt-4.1-mini" in caught.value.message
    with Store.open(tmp_path / "t.db") as store:
        assert store.get_run("U").status == "failed"


def test_the_record_file_is_oaievals_jsonl(tmp_path):
    record = tmp_path / "out" / "record.jsonl"
    options = OaiEvalOptions(
        model="sim/study", eval_name="test-fuzzy-match", registry=FIXTURE, record_path=record
    )
    report = run_sim(tmp_path, options, lambda r: "It is green", run_id="REC")
    lines = [json.loads(line) for line in record.read_text().splitlines()]
    spec = lines[0]["spec"]
    assert spec["eval_name"] == "test-fuzzy-match.s1.simple-v0" and spec["run_id"] == "REC"
    assert spec["completion_fns"] == ["sim/study"] and spec["split"] == "s1"
    events = lines[1:-1]
    assert [e["event_id"] for e in events] == list(range(len(events)))
    assert [e["type"] for e in events] == ["sampling", "match", "metrics"] * 2
    first = events[:3]
    assert {e["sample_id"] for e in first} == {"test-fuzzy-match.s1.0"}
    assert first[0]["data"] == {
        "prompt": "Mix blue and yellow: what colour?",
        "sampled": "It is green",
    }
    assert first[1]["data"]["correct"] is True and first[1]["data"]["expected"] == ["green"]
    assert set(first[2]["data"]) == {"accuracy", "f1_score"}
    assert lines[-1] == {"final_report": report.final_report, "run_id": "REC"}
