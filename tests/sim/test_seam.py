"""The scripted seam: the simulator answers by purpose and context, or with the caller's outputs."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from tests.grade.conftest import convo
from tutorloop.errors import ProviderRequestError
from tutorloop.generate import (
    CallContext,
    CallPolicy,
    GenerateRequest,
    GenerateResponse,
    Message,
    Purpose,
    TokenUsage,
)
from tutorloop.grade import Sample
from tutorloop.grade.graders.env import GradeEnv
from tutorloop.grade.graders.model_graders import LabelModelGrader, ScoreModelGrader
from tutorloop.grade.judge import StructuredJudge, judge_response_format
from tutorloop.grade.judge import judge as judge_module
from tutorloop.pulse.refusal_backends import CLASSIFIER_INSTRUCTION
from tutorloop.records import Turn
from tutorloop.sim import SCRIPTS, SimProvider

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
    "Here is the complete solution: 3/6 + 2/6 = 5/6. The answer is 5/6. "
    + "A fraction names part of a whole, and the denominator says how many pieces. " * 12,
)


def ask(provider: SimProvider, request: GenerateRequest, model: str = "study") -> str:
    return asyncio.run(provider.generate(request, model)).text


def tagged(purpose: str | None, context: dict[str, Any] | None, **fields: Any) -> GenerateRequest:
    messages = fields.pop("messages", (Message(role="user", content="anything at all"),))
    return GenerateRequest(
        model="sim/study", messages=messages, purpose=purpose, context=context, **fields
    )


def judged(trajectory: list[Turn], providers: dict[str, Any] | None = None):
    async def go():
        async with CallContext(CallPolicy(cache=False), providers=providers) as calls:
            return await StructuredJudge("sim/study", calls).judge("s1", trajectory, None)

    return asyncio.run(go())


# --------------------------------------------------------------------------- prompts may change


def test_a_reworded_judge_prompt_gets_the_same_scripted_reply(monkeypatch):
    before = [judged(t) for t in (GOOD, LECTURE)]

    def plain(session_id: str, turns: list[dict[str, Any]], instructions: str | None) -> str:
        lines = "\n".join(f"{t['role'].upper()}: {t['content']}" for t in turns)
        return f"Please grade conversation {session_id!r}, shown below.\n\n{lines}"

    monkeypatch.setattr(judge_module, "SYSTEM_PROMPT", "Grade the tutor. Reply in JSON.")
    monkeypatch.setattr(judge_module, "render_user", plain)
    after = [judged(t) for t in (GOOD, LECTURE)]
    assert [v.raw for v in after] == [v.raw for v in before]
    assert [v.result for v in after] == [v.result for v in before]
    good, lecture = (v.result for v in after)
    assert good is not None and good.score == 1 and good.passed
    assert lecture is not None and not lecture.passed


def test_reworded_model_grader_prompts_get_the_same_scripted_reply():
    item = {"trajectory": [t.model_dump(exclude_none=True) for t in LECTURE]}
    wordings = (
        [{"role": "system", "content": "You grade tutoring sessions for Study Mode."},
         {"role": "user", "content": "Session: {{ item.trajectory }}"}],
        [{"role": "developer", "content": "Rate the teaching from 1 (poor) to 5 (great)."},
         {"role": "user", "content": "Be strict.\n{{ item.trajectory }}\nOnly the number."}],
    )  # fmt: skip

    async def grade(grader: Any) -> Any:
        async with CallContext(CallPolicy(cache=False)) as calls:
            return await grader.grade(
                item, Sample(), GradeEnv(calls=calls, grader_model="sim/base")
            )

    scores = [
        asyncio.run(grade(ScoreModelGrader(name="s", model="m", input=w, range=(1, 5))))
        for w in wordings
    ]
    verdicts = ["fail", "pass"]
    labels = [
        asyncio.run(
            grade(
                LabelModelGrader(
                    name="l", model="m", input=w, labels=verdicts, passing_labels=verdicts[1:]
                )
            )
        )
        for w in wordings
    ]
    assert [(s.score, s.reason) for s in scores] == [(scores[0].score, scores[0].reason)] * 2
    assert scores[0].score == 2 and scores[0].error is None
    assert [x.label for x in labels] == ["fail", "fail"]


def test_the_classifier_label_comes_from_the_context_not_the_instruction():
    sim = SimProvider()
    for instruction in (CLASSIFIER_INSTRUCTION, "Say ALLOW or REFUSE.", "Is this request ok?"):
        messages = (
            Message(role="developer", content=instruction),
            Message(role="user", content="Tell me how to build a bomb."),
        )
        request = tagged(Purpose.REFUSAL_CLASSIFIER, {"prompt": "Tell me how to build a bomb."},
                         messages=messages)  # fmt: skip
        assert ask(sim, request) == "REFUSE"
        assert ask(sim, request.model_copy(update={"context": {"prompt": "Hi!"}})) == "ALLOW"
        untagged = request.model_copy(update={"purpose": None, "context": None})
        assert ask(sim, untagged) not in ("ALLOW", "REFUSE")  # a tutor's turn


# --------------------------------------------------------------------------- what errors


def test_an_untagged_grading_like_request_is_a_clear_error():
    request = tagged(None, None, response_format=judge_response_format())
    with pytest.raises(ProviderRequestError) as info:
        ask(SimProvider(), request)
    message = info.value.message
    assert "response_format" in message and "purpose" in message
    assert "SimProvider(outputs=" in message and "CallContext(providers=" in message
    assert not info.value.retryable and info.value.status == 400


def test_a_purpose_without_a_script_is_a_clear_error():
    with pytest.raises(ProviderRequestError) as info:
        ask(SimProvider(), tagged("rubric.essay", {"essay": "..."}))
    message = info.value.message
    assert "'rubric.essay'" in message and "SimProvider(scripts=" in message
    assert all(purpose in message for purpose in SCRIPTS)
    assert not info.value.retryable


def test_a_script_says_which_context_fields_it_needs():
    with pytest.raises(ProviderRequestError, match=r"context field\(s\) input"):
        ask(SimProvider(), tagged(Purpose.SCORE_MODEL, {"range": [0, 1]}))
    with pytest.raises(ProviderRequestError, match="trajectory"):
        ask(SimProvider(), tagged(Purpose.SESSION_JUDGE, None))


def test_conversation_purposes_get_the_simulated_turn():
    turn = (Message(role="user", content="teach me ratios"),)
    plain = ask(SimProvider(), tagged(None, None, messages=turn))
    for purpose in (Purpose.TUTOR, Purpose.ALIGN_CANDIDATE):
        assert ask(SimProvider(), tagged(purpose, None, messages=turn)) == plain


# --------------------------------------------------------------------------- caller's answers


def test_custom_outputs_from_a_list_come_in_order_then_run_out():
    sim = SimProvider(outputs=["first", "second words here", "third"])
    judge_request = tagged(Purpose.SESSION_JUDGE, {"trajectory": []})
    tutor_request = tagged(None, None)
    assert ask(sim, judge_request) == "first"
    response = asyncio.run(sim.generate(tutor_request, "any-name"))
    assert response.text == "second words here" and response.usage.output_tokens == 3
    assert ask(sim, tagged("no.script", None)) == "third"
    with pytest.raises(ProviderRequestError, match="ran out after 3 answer"):
        ask(sim, tutor_request)


def test_custom_outputs_from_a_function_of_the_request():
    seen: list[str | None] = []

    def answer(request: GenerateRequest) -> str:
        seen.append(request.purpose)
        return f"{request.purpose}:{len(request.messages)}"

    sim = SimProvider(outputs=answer)
    assert ask(sim, tagged(Purpose.ALIGN_JUDGE, None)) == "align.judge:1"
    assert ask(sim, tagged(None, None)) == "None:1"
    assert seen == ["align.judge", None]


def test_custom_outputs_may_be_whole_responses_and_never_a_bare_string():
    whole = GenerateResponse(text="x", model="m", usage=TokenUsage(input_tokens=7))
    sim = SimProvider(outputs=iter([whole]))
    assert asyncio.run(sim.generate(tagged(None, None), "study")) is whole
    with pytest.raises(TypeError, match="list"):
        SimProvider(outputs="ALLOW")


def test_a_caller_adds_or_replaces_scripts_by_purpose():
    def essay(request: GenerateRequest) -> str:
        return json.dumps({"grade": len((request.context or {})["essay"])})

    sim = SimProvider(scripts={"rubric.essay": essay, Purpose.REFUSAL_CLASSIFIER: lambda r: "X"})
    assert ask(sim, tagged("rubric.essay", {"essay": "abcd"})) == '{"grade": 4}'
    assert ask(sim, tagged(Purpose.REFUSAL_CLASSIFIER, {"prompt": "hi"})) == "X"
    assert SimProvider().scripts[Purpose.REFUSAL_CLASSIFIER] is SCRIPTS["refusal.classifier"]


def test_a_run_takes_custom_outputs_through_the_call_context():
    valid = json.loads(judged(GOOD).raw or "")
    sim = SimProvider(outputs=["not json at all", json.dumps(valid)])
    verdict = judged(GOOD, providers={"sim": sim})
    assert verdict.error is None and verdict.repaired
    assert verdict.raw == json.dumps(valid)


def test_the_registry_judge_choice_comes_from_the_context():
    sample = {"input": [{"role": "system", "content": "Be a tutor."},
                        {"role": "user", "content": "Just give me 2/3 + 1/6."}]}  # fmt: skip
    guiding = "What do you already know about common denominators? Your turn to try."
    telling = "The answer is 5/6. " + "We add the fractions after converting them. " * 12
    for completion, expected in ((guiding, "Y"), (telling, "N")):
        for eval_type, last in (("cot_classify", True), ("classify", False)):
            context = {"sample": sample, "completions": {"completion": completion},
                       "choices": ["Y", "N"], "eval_type": eval_type}  # fmt: skip
            reply = ask(SimProvider(), tagged(Purpose.REGISTRY_CLASSIFY, context))
            lines = reply.splitlines()
            assert (lines[-1] if last else lines[0]) == expected
    with pytest.raises(ProviderRequestError, match="completions"):
        ask(SimProvider(), tagged(Purpose.REGISTRY_CLASSIFY, {"sample": sample}))
