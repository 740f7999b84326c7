"""The structured LLM judge: one JSON verdict per session, validated, repaired once, cached.

:class:`StructuredJudge` asks a model for a :class:`~.schema.JudgeReply` with a strict JSON
Schema ``response_format`` at temperature 0, validates the reply, and on an invalid reply makes
exactly one repair attempt (the invalid reply and its problems sent back, asking for the
corrected JSON only). Whatever happens it returns a :class:`JudgeVerdict`: a provider failure or
a reply still invalid after the repair is a verdict with an ``error``, never a raise.

The judge takes trajectories (lists of :class:`~tutorloop.records.Turn`), never files or records,
so it cannot be handed its own output; see :func:`~.guard.ensure_gradable` for callers that take
arbitrary records.
"""

from __future__ import annotations

from typing import Any, Final

from pydantic import BaseModel, ConfigDict, model_validator

from tutorloop.errors import ProviderError
from tutorloop.generate import CallContext, GenerateRequest, Message, Purpose
from tutorloop.grade.judge import cache
from tutorloop.grade.judge.guard import ensure_gradable
from tutorloop.grade.judge.prompt import (
    JUDGE_PROMPT_VERSION,
    REPAIR_TEMPLATE,
    SYSTEM_PROMPT,
    prompt_sha256,
    render_user,
)
from tutorloop.grade.judge.schema import (
    CHECK_NAMES,
    JudgeCheck,
    JudgeReply,
    JudgeReplyInvalid,
    judge_response_format,
    validate_reply,
)
from tutorloop.records import EvalCheck, Evidence, GraderError, GraderResult, Turn

ESCALATION_THRESHOLD = 0.6
"""A score below this escalates the session (the prompt says the same)."""
UNSURE_BELOW = 0.5
"""A judge check with a confidence below this gets the verdict ``unsure``."""
SNIPPET_CHARS = 200
JUDGE_KIND: Final = "study_mode_judge"
"""The ``type`` of the judge's results (and of its grader kind)."""


class JudgeVerdict(BaseModel):
    """What the judge made of one session: a result, or an error, with its provenance."""

    model_config = ConfigDict(extra="forbid")

    result: GraderResult | None = None
    """The judgement: the seven ``checks``, ``score`` (their mean), ``passed`` (False when the
    session should be escalated) and the judge's notes as ``reason``; None when the judge
    failed (see ``error``)."""
    raw: str | None = None
    """The model's last raw reply (None when no reply came; on a cache hit, the stored one)."""
    error: GraderError | None = None
    cached: bool = False
    """True when the verdict came from the ledger and no call was made."""
    prompt_sha256: str
    input_sha256: str
    model: str
    repaired: bool = False
    """True when the first reply was invalid and the repair attempt produced the result."""

    @model_validator(mode="before")
    @classmethod
    def _from_eval_result(cls, data: Any) -> Any:
        """A verdict cached before the judge's result was a :class:`GraderResult`."""
        if isinstance(data, dict) and isinstance(data.get("result"), dict):
            old = data["result"]
            if "pedagogical_fidelity_score" in old:
                return {**data, "result": _migrated(old, str(data.get("model", "")))}
        return data


class StructuredJudge:
    """The LLM judge of Study Mode sessions.

    Args:
        model: The judge model, ``provider/model`` (e.g. ``openai/gpt-4.1`` or ``sim/study``).
            Required, with no default: the judge model is always named explicitly, so a
            verdict never silently comes from a model nobody chose.
        context: The run's :class:`~tutorloop.generate.CallContext`: model access, limits and
            the ledger that caches verdicts.
        cache: Reuse verdicts stored in ``context.ledger`` for the same model, prompt and input
            (independent of ``context.policy.cache``, which governs raw calls; pass
            ``cache=context.policy.cache`` to tie them).
    """

    def __init__(self, model: str, context: CallContext, *, cache: bool = True) -> None:
        if not model or "/" not in model:
            raise ValueError(f"judge model {model!r} must be written provider/model")
        self.model = model
        self.context = context
        self.cache = cache
        self.prompt_sha256 = prompt_sha256()
        self.grader_version = f"judge/{JUDGE_PROMPT_VERSION}+{model}"

    async def judge(
        self, session_id: str, trajectory: list[Turn], agent_instructions: str | None
    ) -> JudgeVerdict:
        """Judge one session's trajectory.

        Raises:
            TypeError: ``trajectory`` is not a list of :class:`~tutorloop.records.Turn`.
            ValueError: a turn holds a grading result (the judge never grades its own output).
        """
        if not isinstance(trajectory, list) or not all(isinstance(t, Turn) for t in trajectory):
            raise TypeError("the judge grades a trajectory: a list of tutorloop.records.Turn")
        for turn in trajectory:
            ensure_gradable(turn.content)
        input_sha = cache.input_sha256(session_id, trajectory, agent_instructions)
        base = {"prompt_sha256": self.prompt_sha256, "input_sha256": input_sha, "model": self.model}
        key = cache.cache_key(self.model, self.prompt_sha256, input_sha)
        policy = self.context.policy
        shared = self.cache and policy.cache_scope == "global"  # verdicts serve any run
        ledger = self.context.ledger if shared else None
        stored = cache.load(ledger, key, policy.cache_ttl_s)
        if stored is not None:
            return JudgeVerdict.model_validate_json(stored).model_copy(update={"cached": True})
        turns = cache.turn_dicts(trajectory)
        messages = [
            Message(role="system", content=SYSTEM_PROMPT),
            Message(role="user", content=render_user(session_id, turns, agent_instructions)),
        ]
        context = {
            "session_id": session_id,
            "trajectory": turns,
            "checks": list(CHECK_NAMES),
            "agent_instructions": agent_instructions,
        }
        raw: str | None = None
        repaired = False
        try:
            raw = await self._ask(messages, context)
            try:
                reply = validate_reply(raw)
            except JudgeReplyInvalid as first:
                messages += [
                    Message(role="assistant", content=raw),
                    Message(role="user", content=REPAIR_TEMPLATE.format(problems=first)),
                ]
                raw = await self._ask(messages, context)
                reply = validate_reply(raw)
                repaired = True
        except ProviderError as exc:
            error = GraderError(type=type(exc).__name__, message=exc.message)
            return JudgeVerdict(raw=raw, error=error, repaired=repaired, **base)
        except JudgeReplyInvalid as exc:
            message = f"the judge's reply is still invalid after one repair attempt: {exc}"
            error = GraderError(type="InvalidJudgeReply", message=message)
            return JudgeVerdict(raw=raw, error=error, **base)
        result = self._result(session_id, reply, trajectory)
        verdict = JudgeVerdict(result=result, raw=raw, repaired=repaired, **base)
        if ledger is not None:
            cache.store(ledger, key, self.model, verdict.model_dump_json())
        return verdict

    async def _ask(self, messages: list[Message], context: dict[str, Any]) -> str:
        request = GenerateRequest(
            model=self.model,
            messages=tuple(messages),
            temperature=0,
            response_format=judge_response_format(),
            purpose=Purpose.SESSION_JUDGE,
            context=context,
        )
        response = await self.context.model(self.model, role="judge").generate(request)
        return response.text

    def _result(self, session_id: str, reply: JudgeReply, trajectory: list[Turn]) -> GraderResult:
        """The reply as a :class:`GraderResult`: checks in canonical order, score recomputed."""
        by_name: dict[str, JudgeCheck] = {c.name: c for c in reply.checks}
        checks = []
        for name in CHECK_NAMES:
            found = by_name[name]  # validate_reply guarantees each name once
            snippet = (found.evidence_snippet or "").strip() or None
            if snippet is not None and len(snippet) > SNIPPET_CHARS:
                snippet = snippet[: SNIPPET_CHARS - 1] + "…"
            checks.append(
                EvalCheck(
                    name=name,
                    passed=found.passed,
                    reason=found.reason,
                    evidence_snippet=snippet,
                    confidence=found.confidence,
                    verdict=(
                        "unsure"
                        if found.confidence < UNSURE_BELOW
                        else ("pass" if found.passed else "fail")
                    ),
                    evidence=_locate(snippet, trajectory),
                    source="judge",
                    grader_version=self.grader_version,
                )
            )
        score = sum(c.passed for c in checks) / len(checks)
        notes = [reply.notes] if reply.notes else []
        if abs(score - reply.pedagogical_fidelity_score) > 0.02:
            notes.append(
                f"the judge reported a score of {reply.pedagogical_fidelity_score:.2f}; "
                f"recomputed from its checks as {score:.2f}"
            )
        if reply.session_id != session_id:
            notes.append(f"the judge echoed session_id {reply.session_id!r}")
        if score < ESCALATION_THRESHOLD:
            notes.append(f"judge fidelity {score:.2f} is below {ESCALATION_THRESHOLD}")
        elif reply.escalate:
            notes.append(
                "the judge escalated a session it scored well: " + (reply.notes or "no note given")
            )
        return GraderResult(
            name=JUDGE_KIND,
            type=JUDGE_KIND,
            version=self.grader_version,
            score=score,
            passed=score >= ESCALATION_THRESHOLD and not reply.escalate,
            reason=" | ".join(notes) or None,
            prompt_sha256=self.prompt_sha256,
            checks=checks,
        )


def _migrated(old: dict[str, Any], model: str) -> dict[str, Any]:
    """An EvalResult-shaped judgement (cached by an older tutorloop) as a GraderResult dict."""
    checks = old.get("checks") or []
    versions = [c.get("grader_version") for c in checks if isinstance(c, dict)]
    notes = [old["notes"]] if old.get("notes") else []
    notes += [
        str(r.get("message")) for r in old.get("escalation_reasons") or [] if isinstance(r, dict)
    ]
    return {
        "name": JUDGE_KIND,
        "type": JUDGE_KIND,
        "version": next((v for v in versions if v), f"judge/{JUDGE_PROMPT_VERSION}+{model}"),
        "score": old.get("pedagogical_fidelity_score"),
        "passed": not old.get("escalate", False),
        "reason": " | ".join(notes) or None,
        "checks": checks,
    }


def _locate(snippet: str | None, trajectory: list[Turn]) -> list[Evidence]:
    """Where a verbatim snippet sits in the trajectory (nothing when it is not verbatim)."""
    if not snippet:
        return []
    needle = snippet.rstrip("…")
    for index, turn in enumerate(trajectory):
        start = turn.content.find(needle)
        if start >= 0:
            end = start + len(needle)
            return [Evidence(turn=index, start=start, end=end, text=turn.content[start:end])]
    return []
