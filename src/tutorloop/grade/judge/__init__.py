"""The structured LLM judge of Study Mode sessions (prompt, reply schema, judge, guard)."""

from .guard import ensure_gradable
from .judge import JudgeVerdict, StructuredJudge
from .prompt import JUDGE_PROMPT_VERSION, prompt_sha256
from .schema import JudgeReply, JudgeReplyInvalid, judge_response_format, validate_reply

__all__ = [
    "JUDGE_PROMPT_VERSION",
    "JudgeReply",
    "JudgeReplyInvalid",
    "JudgeVerdict",
    "StructuredJudge",
    "ensure_gradable",
    "judge_response_format",
    "prompt_sha256",
    "validate_reply",
]
