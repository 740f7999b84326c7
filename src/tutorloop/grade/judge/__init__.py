"""The LLM judges: of Study Mode sessions (prompt, reply schema, guard) and of alignment rows."""

from .align import (
    ALIGN_SCHEMA,
    EVALUATION_INPUT_BEGIN,
    EVALUATION_INPUT_END,
    PREFERENCE_FIELDS,
    ItemKind,
    JudgeOutputError,
    align_response_format,
    context_appended,
    evaluation_input_block,
    item_kind,
    judge_request,
    parse_judge_reply,
    read_verdict,
    render_judge_prompt,
    safety_score,
    validate_judge_json,
)
from .align_grader import AlignJudgeGrader
from .align_preference import UNKNOWN_TAG, PreferenceVerdict, read_preference
from .audit import DEFAULT_AUDIT_SHARE, audit_pick, judge_review
from .guard import ensure_gradable
from .judge import JudgeVerdict, StructuredJudge
from .prompt import JUDGE_PROMPT_VERSION, prompt_sha256
from .schema import JudgeReply, JudgeReplyInvalid, judge_response_format, validate_reply
from .spec import StudyModeJudgeGrader

__all__ = [
    "ALIGN_SCHEMA",
    "DEFAULT_AUDIT_SHARE",
    "EVALUATION_INPUT_BEGIN",
    "EVALUATION_INPUT_END",
    "JUDGE_PROMPT_VERSION",
    "PREFERENCE_FIELDS",
    "UNKNOWN_TAG",
    "AlignJudgeGrader",
    "ItemKind",
    "JudgeOutputError",
    "JudgeReply",
    "JudgeReplyInvalid",
    "JudgeVerdict",
    "PreferenceVerdict",
    "StructuredJudge",
    "StudyModeJudgeGrader",
    "align_response_format",
    "audit_pick",
    "context_appended",
    "ensure_gradable",
    "evaluation_input_block",
    "item_kind",
    "judge_request",
    "judge_response_format",
    "judge_review",
    "parse_judge_reply",
    "prompt_sha256",
    "read_preference",
    "read_verdict",
    "render_judge_prompt",
    "safety_score",
    "validate_judge_json",
    "validate_reply",
]
