"""One answer and one verdict: the candidate call, the judge call, and errors kept as data.

Calls go through :class:`tutorloop.generate.Model` (retries, limits, the run's call ledger). A
failed call or an unusable verdict ends as ``error``/``error_type``/``error_cause`` on the row.
Errors that no retry and no other item can fix (a rejected key, an unknown model: HTTP 401, 403
or 404) raise :class:`FatalModelError` instead, so the run stops at once and fails closed.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from tutorloop.align.config import CANDIDATE_MAX_TOKENS, CANDIDATE_TEMPERATURE
from tutorloop.align.dataset import AlignItem
from tutorloop.errors import ProviderError, ProviderRequestError, UserError, scrub
from tutorloop.generate import GenerateRequest, Message, Model, Purpose
from tutorloop.grade.judge import (
    JudgeOutputError,
    PreferenceVerdict,
    align_response_format,
    context_appended,
    judge_request,
    read_preference,
    read_verdict,
    safety_score,
)
from tutorloop.grade.judge.align import JUDGE_SYSTEM, judge_context

__all__ = ["FatalModelError", "Verdict", "ask_candidate", "ask_judge", "check_judge", "error_cause"]

_FATAL_STATUSES = (401, 403, 404)
_EXCERPT = 2000
PREFLIGHT_PROMPT = (
    "Connectivity check before an alignment run. Reply with this JSON object: "
    '{"id": "preflight", "overall": 1, "attack_success": false, '
    '"safety": {"score": 1, "subscores": {}}}'
)


class FatalModelError(UserError):
    """A model cannot be used at all (bad key, unknown model, unreachable judge): stop the run."""

    exit_code = 4


@dataclass
class Verdict:
    """The judge's judgement of one answer (a verdict or a preference), or why there is none.

    ``judge_json`` is the reply as parsed; the other fields are the values read from it.
    """

    judge_json: dict[str, Any] | None = None
    attack_success: bool | None = None
    overall: float | None = None
    safety_score: float | None = None
    error: str | None = None
    error_type: str | None = None
    error_cause: str | None = None
    item_kind: str = "verdict"
    judge_context_appended: bool = False
    preference_field: str | None = None
    raw_answer: str | None = None
    normalized_tag: str | None = None
    confidence: float | None = None
    expected_tag: str | None = None
    tag_correct: bool | None = None

    def row_fields(self) -> dict[str, Any]:
        """The verdict as the fields of an :class:`~tutorloop.records.AlignRow`."""
        return dataclasses.asdict(self)


def error_cause(exc: BaseException) -> str | None:
    """The exception under ``exc`` (``Type: message``, scrubbed), if there is one."""
    cause = exc.__cause__ or exc.__context__
    if cause is None:
        return None
    return scrub(f"{type(cause).__name__}: {cause}")[:500]


def _fatal(exc: ProviderError, role: str, model: str) -> FatalModelError | None:
    if not isinstance(exc, ProviderRequestError) or exc.status not in _FATAL_STATUSES:
        return None
    return FatalModelError(
        f"the {role} model '{model}' cannot be used: {exc.message.rstrip('.')}. Check the key "
        "(OPENAI_API_KEY), --base-url and the model name, or pick another model; rows already "
        "written are kept, and the same --run-id resumes"
    )


async def ask_candidate(model: Model, messages: list[dict[str, str]]) -> str:
    """The model's answer to ``messages`` (temperature 0.2, at most 1800 tokens).

    Raises:
        FatalModelError: the model cannot be used at all.
        ProviderError: the call failed after its retries.
    """
    request = GenerateRequest(
        model=model.name,
        messages=tuple(Message.model_validate(m) for m in messages),
        temperature=CANDIDATE_TEMPERATURE,
        max_output_tokens=CANDIDATE_MAX_TOKENS,
        purpose=Purpose.ALIGN_CANDIDATE,
        context={"conversation": messages},
    )
    try:
        response = await model.generate(request)
    except ProviderError as exc:
        fatal = _fatal(exc, "candidate", model.name)
        if fatal is not None:
            raise fatal from exc
        raise
    return response.text


async def ask_judge(judge: Model, item: AlignItem, candidate: str) -> Verdict:
    """The judge's judgement of ``candidate`` for ``item``; failures end as errors on it.

    The judge always sees the conversation and the candidate: through the prompt's
    placeholders, or in the block appended to a prompt without them (recorded as
    ``judge_context_appended``). A preference item's reply is read as a preference.

    Raises:
        FatalModelError: the judge cannot be used at all.
    """
    kind = item.kind
    base = Verdict(
        item_kind=kind,
        judge_context_appended=context_appended(item.judge_prompt),
        expected_tag=item.expected_tag if kind == "preference" else None,
    )
    request = judge_request(
        judge.name,
        item.judge_prompt,
        item.conversation,
        item.user_prompt,
        candidate,
        item_id=item.id,
        field=item.subcategory,
    )
    try:
        response = await judge.generate(request)
    except ProviderError as exc:
        fatal = _fatal(exc, "judge", judge.name)
        if fatal is not None:
            raise fatal from exc
        return dataclasses.replace(
            base,
            error=f"judge: {exc.message}",
            error_type=type(exc).__name__,
            error_cause=error_cause(exc),
        )
    try:
        if kind == "preference":
            return _preference(base, *read_preference(response.text, item.judge_prompt))
        raw, verdict = read_verdict(response.text, item.judge_prompt)
    except JudgeOutputError as exc:
        return dataclasses.replace(
            base,
            error=f"judge: {exc}",
            error_type=type(exc).__name__,
            error_cause=f"reply: {response.text[:_EXCERPT]}",
        )
    return dataclasses.replace(
        base,
        judge_json=raw,
        attack_success=verdict["attack_success"],
        overall=verdict["overall"],
        safety_score=safety_score(verdict),
    )


def _preference(base: Verdict, raw: dict[str, Any], verdict: PreferenceVerdict) -> Verdict:
    expected = base.expected_tag
    return dataclasses.replace(
        base,
        judge_json=raw,
        preference_field=verdict.field,
        raw_answer=verdict.raw_answer,
        normalized_tag=verdict.normalized_tag,
        confidence=verdict.confidence,
        tag_correct=None if expected is None else verdict.normalized_tag == expected,
    )


async def check_judge(judge: Model) -> None:
    """One call to the judge; stop before the run when it does not answer.

    Raises:
        FatalModelError: the call failed (after retries): which model, why, and what to do.
    """
    request = GenerateRequest(
        model=judge.name,
        messages=(
            Message(role="system", content=JUDGE_SYSTEM),
            Message(role="user", content=PREFLIGHT_PROMPT),
        ),
        temperature=0.0,
        max_output_tokens=60,
        response_format=align_response_format(""),
        purpose=Purpose.ALIGN_JUDGE,
        context=judge_context("", "", "", ""),
    )
    try:
        await judge.generate(request)
    except ProviderError as exc:
        why = exc.message.rstrip(".")
        raise FatalModelError(
            f"the judge model '{judge.name}' did not answer a check call: {why}. "
            "Without a judge no answer can be scored, so the run did not start: set "
            "OPENAI_API_KEY / --base-url for it, or choose a reachable judge with "
            "--judge-model (sim/base answers offline)"
        ) from exc
