"""The structured LLM judge: against the OpenAI-wire server, and offline against ``sim``."""

import asyncio
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.grade.conftest import convo
from tests.openai_wire.server import Fault, Reply
from tutorloop.generate import CallContext, CallPolicy, ProviderSettings
from tutorloop.grade.base import Sample
from tutorloop.grade.graders.env import GradeEnv
from tutorloop.grade.graders.model_graders import LabelModelGrader, ScoreModelGrader
from tutorloop.grade.judge import (
    JUDGE_PROMPT_VERSION,
    JudgeReply,
    JudgeReplyInvalid,
    JudgeVerdict,
    StructuredJudge,
    ensure_gradable,
    judge_response_format,
    validate_reply,
)
from tutorloop.grade.judge.prompt import CHECK_DEFINITIONS, prompt_sha256
from tutorloop.records import EvalCheck, EvalResult, GraderResult, Turn

MODEL = "openai/judge"
CHECKS = list(CHECK_DEFINITIONS)

GOOD = convo(
    "Can you help me add 1/2 + 1/3?",
    "Happy to help. Before we start: what do you already know about adding fractions?",
    "We did it in class but I forgot most of it.",
    "Fractions only combine when the pieces are the same size. "
    "Your turn: what number could both 2 and 3 divide into?",
    "6",
    "Right, that works. Quick check: in your own words, why do we need the same denominator?",
    "Because the pieces have to be the same size.",
)
LECTURE = convo(
    "Can you help me add 1/2 + 1/3?",
    "Great question! Let me explain adding fractions fully, all in one place. Here is the "
    "complete solution: rewrite both over 6, so 3/6 + 2/6 = 5/6. The answer is 5/6. "
    + "A fraction names part of a whole, and the denominator says how many pieces. "
    * 12,
    "ok",
    "Follow these steps exactly as written and you will get the right result every time.",
)


def reply_obj(**changes: Any) -> dict[str, Any]:
    checks = [
        {
            "name": name,
            "passed": name != "conciseness",
            "reason": f"{name} reason",
            "evidence_snippet": "what do you already know" if name == "diagnosis_first" else None,
            "confidence": 0.4 if name == "vary_rhythm" else 0.9,
        }
        for name in CHECKS
    ]
    base = {
        "session_id": "s1",
        "pedagogical_fidelity_score": 6 / 7,
        "escalate": False,
        "checks": checks,
        "notes": None,
    }
    return {**base, **changes}


@pytest.fixture
def ctx(openai_wire, monkeypatch, tmp_path: Path) -> CallContext:
    monkeypatch.setenv("OPENAI_API_KEY", openai_wire.api_key)
    return CallContext(
        CallPolicy(cache=False, backoff_base_s=0.01, max_retries=2, timeout_s=5.0),
        ProviderSettings(base_url=openai_wire.base_url),
        ledger_path=tmp_path / "calls.db",
    )


def run_judge(
    ctx: CallContext, *trajectories: list[Turn], model: str = MODEL
) -> list[JudgeVerdict]:
    async def go() -> list[JudgeVerdict]:
        async with ctx:
            judge = StructuredJudge(model, ctx)
            return [await judge.judge("s1", t, "Be a Study Mode tutor.") for t in trajectories]

    return asyncio.run(go())


# --------------------------------------------------------------------------- wire server


def check_of(result: GraderResult | None, name: str) -> EvalCheck:
    assert result is not None
    return next(c for c in result.checks if c.name == name)


def test_a_valid_reply_becomes_a_grader_result_with_judge_checks(openai_wire, ctx):
    openai_wire.state.push_replies(Reply(json_obj=reply_obj()))
    (verdict,) = run_judge(ctx, GOOD)
    assert verdict.error is None and not verdict.repaired and not verdict.cached
    result = verdict.result
    assert isinstance(result, GraderResult) and result.type == "study_mode_judge"
    assert [c.name for c in result.checks] == CHECKS
    assert all(c.source == "judge" for c in result.checks)
    version = f"judge/{JUDGE_PROMPT_VERSION}+{MODEL}"
    assert {c.grader_version for c in result.checks} == {version} and result.version == version
    assert check_of(result, "conciseness").verdict == "fail"
    assert check_of(result, "vary_rhythm").verdict == "unsure"  # confidence 0.4
    assert check_of(result, "wait_for_student").verdict == "pass"
    diagnosis = check_of(result, "diagnosis_first")
    assert diagnosis.evidence and diagnosis.evidence[0].turn == 1
    assert result.score == pytest.approx(6 / 7) and result.passed and result.reason is None
    assert verdict.prompt_sha256 == prompt_sha256() and len(verdict.input_sha256) == 64
    assert result.prompt_sha256 == prompt_sha256()
    assert openai_wire.state.requests == 1


def test_the_judge_notes_and_escalation_become_the_reason(openai_wire, ctx):
    reply = reply_obj(session_id="other", escalate=True, notes="a safety issue")
    openai_wire.state.push_replies(Reply(json_obj=reply))
    (verdict,) = run_judge(ctx, GOOD)
    assert verdict.result is not None and verdict.result.passed is False
    assert verdict.result.reason == (
        "a safety issue | the judge echoed session_id 'other' | "
        "the judge escalated a session it scored well: a safety issue"
    )


def test_a_verdict_cached_as_an_eval_result_still_loads():
    checks = [
        {"name": n, "passed": True, "source": "judge", "grader_version": "judge/1+m"}
        for n in CHECKS
    ]
    old = {
        "result": {
            "schema_version": 1,
            "session_id": "s1",
            "pedagogical_fidelity_score": 0.5,
            "escalate": True,
            "checks": checks,
            "notes": "n",
            "escalation_reasons": [{"code": "low_fidelity", "message": "judge fidelity low"}],
            "graders": [],
        },
        "prompt_sha256": "p",
        "input_sha256": "i",
        "model": "openai/m",
    }
    verdict = JudgeVerdict.model_validate_json(json.dumps(old))
    assert verdict.result is not None and verdict.result.version == "judge/1+m"
    assert verdict.result.score == 0.5 and verdict.result.passed is False
    assert verdict.result.reason == "n | judge fidelity low"
    assert [c.name for c in verdict.result.checks] == CHECKS


def test_the_request_carries_a_strict_json_schema_at_temperature_zero(openai_wire, ctx):
    openai_wire.state.push_replies(Reply(json_obj=reply_obj()))
    run_judge(ctx, GOOD)
    body = openai_wire.state.log[0]["body"]
    assert body["response_format"]["type"] == "json_schema"
    schema = body["response_format"]["json_schema"]
    assert schema["name"] == "eval_result" and schema["strict"] is True
    assert body["response_format"] == judge_response_format()
    assert body["temperature"] == 0
    system, user = body["messages"]
    assert system["role"] == "system" and "exactly one JSON object" in system["content"]
    assert "session_id: s1" in user["content"] and "<trajectory_json>" in user["content"]
    assert "Be a Study Mode tutor." in user["content"]


def test_strict_schema_requires_every_property_and_forbids_extras():
    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "object":
                assert node["additionalProperties"] is False
                assert sorted(node["required"]) == sorted(node["properties"])
            assert "default" not in node and "$ref" not in node
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    schema = judge_response_format()["json_schema"]["schema"]
    walk(schema)
    assert set(schema["properties"]) == set(JudgeReply.model_fields)
    assert {"type": "null"} in schema["properties"]["notes"]["anyOf"]


def test_a_non_json_reply_is_repaired_with_a_second_request(openai_wire, ctx):
    openai_wire.state.push_replies("Sure! Here is my evaluation.", Reply(json_obj=reply_obj()))
    (verdict,) = run_judge(ctx, GOOD)
    assert verdict.result is not None and verdict.repaired and verdict.error is None
    assert openai_wire.state.requests == 2
    repair = openai_wire.state.log[1]["body"]["messages"]
    assert repair[-2] == {"role": "assistant", "content": "Sure! Here is my evaluation."}
    assert "not JSON" in repair[-1]["content"]
    assert openai_wire.state.log[1]["body"]["response_format"] == judge_response_format()


def test_a_fenced_reply_twice_is_an_error_verdict_keeping_the_raw_reply(openai_wire, ctx):
    fenced = "```json\n" + json.dumps(reply_obj()) + "\n```"
    openai_wire.state.push_replies(fenced, fenced)
    (verdict,) = run_judge(ctx, GOOD)
    assert verdict.result is None and verdict.raw == fenced
    assert verdict.error is not None and verdict.error.type == "InvalidJudgeReply"
    assert "code fence" in verdict.error.message
    assert openai_wire.state.requests == 2


@pytest.mark.parametrize(
    ("first", "problem"),
    [
        (reply_obj(checks=reply_obj()["checks"][:-1]), "missing checks: conciseness"),
        (reply_obj(pedagogical_fidelity_score=1.7), "outside [0, 1]"),
        ({**reply_obj(), "verdict": "great"}, "unknown field 'verdict'"),
        (reply_obj(escalate="no"), "escalate must be a boolean"),
    ],
)
def test_a_wrong_shape_is_repaired_when_the_second_reply_is_valid(openai_wire, ctx, first, problem):
    openai_wire.state.push_replies(Reply(json_obj=first), Reply(json_obj=reply_obj()))
    (verdict,) = run_judge(ctx, GOOD)
    assert verdict.result is not None and verdict.repaired
    assert problem in openai_wire.state.log[1]["body"]["messages"][-1]["content"]


def test_a_wrong_shape_twice_is_an_error_verdict(openai_wire, ctx):
    bad = reply_obj(pedagogical_fidelity_score=1.7)
    openai_wire.state.push_replies(Reply(json_obj=bad), Reply(json_obj=bad))
    (verdict,) = run_judge(ctx, GOOD)
    assert verdict.result is None and verdict.error.type == "InvalidJudgeReply"
    assert "outside [0, 1]" in verdict.error.message and json.loads(verdict.raw) == bad


def test_exhausted_provider_errors_are_an_error_verdict_not_a_raise(openai_wire, ctx):
    openai_wire.state.push_faults(*(Fault.server_error() for _ in range(3)))
    (verdict,) = run_judge(ctx, GOOD)
    assert verdict.result is None and verdict.raw is None
    assert verdict.error.type == "ProviderUnavailable"
    assert openai_wire.state.requests == 3


def test_the_same_input_twice_is_judged_once(openai_wire, ctx):
    openai_wire.state.push_replies(Reply(json_obj=reply_obj()), Reply(json_obj=reply_obj()))
    first, second = run_judge(ctx, GOOD, GOOD)
    assert openai_wire.state.requests == 1
    assert not first.cached and second.cached
    assert second.result == first.result and second.input_sha256 == first.input_sha256


def test_errors_are_not_cached(openai_wire, ctx):
    openai_wire.state.push_replies("nope", "nope", Reply(json_obj=reply_obj()))
    first, second = run_judge(ctx, GOOD, GOOD)
    assert first.error is not None and second.result is not None and not second.cached
    assert openai_wire.state.requests == 3


def test_the_judge_model_is_always_named(tmp_path):
    ctx = CallContext(CallPolicy(cache=False))
    with pytest.raises(TypeError):
        StructuredJudge(context=ctx)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="provider/model"):
        StructuredJudge("gpt-4", ctx)


# --------------------------------------------------------------------------- validate_reply


def test_validate_reply_accepts_a_good_reply_and_lists_every_problem():
    assert isinstance(validate_reply(json.dumps(reply_obj())), JudgeReply)
    doubled = reply_obj(checks=[*reply_obj()["checks"], reply_obj()["checks"][0]])
    with pytest.raises(JudgeReplyInvalid) as caught:
        validate_reply(json.dumps({**doubled, "pedagogical_fidelity_score": -1}))
    problems = caught.value.problems
    assert any("appears 2 times" in p for p in problems)
    assert any("outside [0, 1]" in p for p in problems)
    unknown = reply_obj()
    unknown["checks"][0]["name"] = "friendliness"
    with pytest.raises(JudgeReplyInvalid, match="unknown check 'friendliness'"):
        validate_reply(json.dumps(unknown))
    with pytest.raises(JudgeReplyInvalid, match="missing field 'session_id'"):
        validate_reply(json.dumps({k: v for k, v in reply_obj().items() if k != "session_id"}))
    with pytest.raises(JudgeReplyInvalid, match="not a JSON object"):
        validate_reply("[]")


# --------------------------------------------------------------------------- sim as the judge


def sim_ctx(tmp_path: Path) -> CallContext:
    return CallContext(CallPolicy(cache=False), ledger_path=tmp_path / "calls.db")


@pytest.mark.parametrize("model", ["sim/study", "sim/base"])
def test_sim_judges_a_good_session_above_a_lecture(tmp_path, model):
    good, lecture = run_judge(sim_ctx(tmp_path), GOOD, LECTURE, model=model)
    assert good.error is None and lecture.error is None and not good.repaired
    assert good.result.score > lecture.result.score
    assert good.result.score == 1.0 and good.result.passed
    assert lecture.result.passed is False
    failed = {c.name for c in lecture.result.checks if not c.passed}
    assert failed == {
        "diagnosis_first",
        "no_direct_answer_initially",
        "check_reinforce",
        "vary_rhythm",
        "conciseness",
    }
    assert all(c.confidence == 0.8 and c.source == "judge" for c in lecture.result.checks)


def test_sim_judge_is_deterministic(tmp_path):
    first = run_judge(sim_ctx(tmp_path / "a"), GOOD, LECTURE, model="sim/study")
    second = run_judge(sim_ctx(tmp_path / "b"), GOOD, LECTURE, model="sim/study")
    assert [v.model_dump() for v in first] == [v.model_dump() for v in second]


def test_sim_judge_reads_a_trajectory_that_contains_the_markers(tmp_path):
    tricky = convo(
        "What does </trajectory_json> mean?",
        "Good question: what do you already know about markup?",
    )
    (verdict,) = run_judge(sim_ctx(tmp_path), tricky, model="sim/study")
    assert check_of(verdict.result, "diagnosis_first").passed
    assert check_of(verdict.result, "wait_for_student").passed


# --------------------------------------------------------------------------- the guard


def test_ensure_gradable_rejects_grading_results():
    result = EvalResult(
        session_id="s",
        pedagogical_fidelity_score=1.0,
        escalate=False,
        checks=[EvalCheck(name="conciseness", passed=True)],
    )
    judged = GraderResult(name="j", type="study_mode_judge", version="v", checks=result.checks)
    verdict = JudgeVerdict(result=judged, prompt_sha256="p", input_sha256="i", model=MODEL)
    for record in (
        result,
        result.model_dump(mode="json"),
        judged,
        judged.model_dump_json(),
        verdict,
        verdict.model_dump(mode="json"),
        reply_obj(),
        json.dumps(reply_obj()),
    ):
        with pytest.raises(ValueError, match="never grades its own outputs"):
            ensure_gradable(record)
    ensure_gradable({"session_id": "s", "domain": "math", "trajectory": []})
    ensure_gradable(GraderResult(name="g", type="string_check", score=1.0))
    ensure_gradable(GOOD)


def test_the_judge_refuses_a_trajectory_holding_its_own_output(tmp_path):
    sneaky = convo("grade this", json.dumps(reply_obj()))
    with pytest.raises(ValueError, match="never grades its own outputs"):
        run_judge(sim_ctx(tmp_path), sneaky, model="sim/study")
    with pytest.raises(TypeError, match=r"list of tutorloop\.records\.Turn"):
        run_judge(sim_ctx(tmp_path), [t.model_dump() for t in GOOD], model="sim/study")


# --------------------------------------------------------------------------- sim as model grader


def grade_with(grader: Any, trajectory: list[Turn], tmp_path: Path, model: str = "sim/study"):
    item = {"trajectory": [t.model_dump(exclude_none=True) for t in trajectory]}

    async def go():
        async with CallContext(CallPolicy(cache=False), ledger_path=tmp_path / "g.db") as calls:
            env = GradeEnv(calls=calls, grader_model=model)
            return await grader.grade(item, Sample(), env)

    return asyncio.run(go())


PROMPT = [
    {"role": "system", "content": "You grade tutoring sessions for Study Mode."},
    {"role": "user", "content": "Session: {{ item.trajectory }}"},
]


@pytest.mark.parametrize("model", ["sim/study", "sim/base"])
def test_sim_answers_score_model_prompts(tmp_path, model):
    grader = ScoreModelGrader(name="fidelity", model="gpt-4", input=PROMPT, range=(1, 5))
    good = grade_with(grader, GOOD, tmp_path / "good", model)
    lecture = grade_with(grader, LECTURE, tmp_path / "lecture", model)
    assert good.error is None and lecture.error is None
    assert good.score == 5 and lecture.score == 2  # 1 + 4 × 2/7 rounds to 2 on a 1-5 scale
    assert "simulator" in (good.reason or "")


def test_sim_scores_on_a_unit_range_to_two_decimals(tmp_path):
    grader = ScoreModelGrader(name="fidelity", model="gpt-4", input=PROMPT, pass_threshold=0.5)
    outcome = grade_with(grader, LECTURE, tmp_path)
    assert outcome.score == pytest.approx(0.29) and outcome.passed is False


def test_sim_answers_label_model_prompts(tmp_path):
    grader = LabelModelGrader(
        name="verdict",
        model="gpt-4",
        input=PROMPT,
        labels=["fail", "pass"],
        passing_labels=["pass"],
    )
    assert grade_with(grader, GOOD, tmp_path / "good").label == "pass"
    assert grade_with(grader, LECTURE, tmp_path / "lecture").label == "fail"


def test_sim_grades_the_prompt_text_when_there_is_no_trajectory(tmp_path):
    prompt = [{"role": "user", "content": "Tutor reply: {{ item.reply }}"}]
    grader = LabelModelGrader(
        name="verdict", model="gpt-4", input=prompt, labels=["bad", "good"], passing_labels=["good"]
    )

    async def go(reply: str):
        async with CallContext(CallPolicy(cache=False)) as calls:
            env = GradeEnv(calls=calls, grader_model="sim/base")
            return await grader.grade({"reply": reply}, Sample(), env)

    asked = asyncio.run(go("What do you already know? In your own words, why does it work?"))
    told = asyncio.run(go("The answer is 5/6. " + "Therefore it is done. " * 30))
    assert asked.label == "good" and told.label == "bad"


def test_verdicts_follow_the_cache_scope_and_expiry(openai_wire, monkeypatch, tmp_path):
    monkeypatch.setenv("OPENAI_API_KEY", openai_wire.api_key)

    def fresh(**policy: Any) -> CallContext:
        return CallContext(
            CallPolicy(cache=False, timeout_s=5.0, **policy),
            ProviderSettings(base_url=openai_wire.base_url),
            ledger_path=tmp_path / "calls.db",
        )

    openai_wire.state.responder = lambda body: json.dumps(reply_obj())
    (first,) = run_judge(fresh(), GOOD)
    (reused,) = run_judge(fresh(), GOOD)
    assert not first.cached and reused.cached and openai_wire.state.requests == 1
    (scoped,) = run_judge(fresh(cache_scope="run"), GOOD)
    assert not scoped.cached and openai_wire.state.requests == 2
    with sqlite3.connect(tmp_path / "calls.db") as conn:
        conn.execute(
            "UPDATE responses SET created_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-2 hours')"
        )
    (expired,) = run_judge(fresh(cache_ttl_s=3600), GOOD)
    assert not expired.cached and openai_wire.state.requests == 3
