"""The LLM judges: of Study Mode sessions (prompt, reply schema, guard) and of alignment rows."""

from .align import (
    ALIGN_SCHEMA,
    JudgeOutputError,
    align_response_format,
    judge_request,
    parse_judge_reply,
    read_verdict,
    render_judge_prompt,
    safety_score,
    validate_judge_json,
)
from .align_grader import AlignJudgeGrader
from .audit import DEFAULT_AUDIT_SHARE, audit_pick, judge_review
from .guard import ensure_gradable
from .judge import JudgeVerdict, StructuredJudge
from .prompt import JUDGE_PROMPT_VERSION, prompt_sha256
from .schema import JudgeReply, JudgeReplyInvalid, judge_response_format, validate_reply
from .spec import StudyModeJudgeGrader

__all__ = [
    "ALIGN_SCHEMA",
    "DEFAULT_AUDIT_SHARE",
    "JUDGE_PROMPT_VERSION",
    "AlignJudgeGrader",
    "JudgeOutputError",
    "JudgeReply",
    "JudgeReplyInvalid",
    "JudgeVerdict",
    "StructuredJudge",
    "StudyModeJudgeGrader",
    "align_response_format",
    "audit_pick",
    "ensure_gradable",
    "judge_request",
    "judge_response_format",
    "judge_review",
    "parse_judge_reply",
    "prompt_sha256",
    "read_verdict",
    "render_judge_prompt",
    "safety_score",
    "validate_judge_json",
    "validate_reply",
]
