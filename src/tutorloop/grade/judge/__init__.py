"""The LLM judges: of Study Mode sessions (prompt, reply schema, guard) and of alignment rows."""

from .align import (
    ALIGN_SCHEMA,
    JudgeOutputError,
    align_response_format,
    parse_judge_reply,
    render_judge_prompt,
    safety_score,
    validate_judge_json,
)
from .guard import ensure_gradable
from .judge import JudgeVerdict, StructuredJudge
from .prompt import JUDGE_PROMPT_VERSION, prompt_sha256
from .schema import JudgeReply, JudgeReplyInvalid, judge_response_format, validate_reply

__all__ = [
    "ALIGN_SCHEMA",
    "JUDGE_PROMPT_VERSION",
    "JudgeOutputError",
    "JudgeReply",
    "JudgeReplyInvalid",
    "JudgeVerdict",
    "StructuredJudge",
    "align_response_format",
    "ensure_gradable",
    "judge_response_format",
    "parse_judge_reply",
    "prompt_sha256",
    "render_judge_prompt",
    "safety_score",
    "validate_judge_json",
    "validate_reply",
]
