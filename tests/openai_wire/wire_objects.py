"""The JSON objects the server answers with, and the handlers that build them.

* ``chat.completion`` (:func:`chat_completion`) and Responses API ``response``
  (:func:`response_object`) objects, with word-count usage and ``max_*tokens`` truncation;
* ``model`` objects and lists (:func:`model_list`, :func:`model_retrieve`);
* hosted Evals ``eval.run`` and ``eval.run.output_item`` objects (:func:`make_eval_run`,
  :func:`make_output_item`) that tests put in ``ServerState``.
"""

from __future__ import annotations

import time
import uuid
import zlib
from collections.abc import Sequence
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from .http_replies import ApiError, json_response
from .request_text import count_words, prompt_words
from .state import ServerState
from .validation import (
    check_responses_input,
    check_temperature,
    reject_streaming,
    require_body,
    require_str,
    response_text_config,
    token_limit,
)

__all__ = [
    "chat_completion",
    "make_eval_run",
    "make_output_item",
    "model_list",
    "model_retrieve",
    "response_object",
]


def _truncate(text: str, limit: int | None) -> tuple[str, bool]:
    if limit is None:
        return text, False
    words = text.split()
    if len(words) <= limit:
        return text, False
    return " ".join(words[:limit]), True


def chat_completion(state: ServerState, raw: dict[str, Any] | None, _: Request) -> Response:
    body = require_body(raw)
    model = require_str(body, "model")
    messages = body.get("messages")
    if (
        not isinstance(messages, list)
        or not messages
        or not all(isinstance(m, dict) for m in messages)
    ):
        raise ApiError(
            400, "'messages' must be a non-empty array of message objects.", param="messages"
        )
    reject_streaming(body)
    if body.get("n") not in (None, 1):
        raise ApiError(400, "Only n=1 is supported by the openai_wire test server.", param="n")
    check_temperature(body)
    limit = token_limit(body, "max_completion_tokens", "max_tokens")
    text, truncated = _truncate(state.next_reply_text(body), limit)
    prompt_tokens = prompt_words(body)
    completion_tokens = count_words(text)
    payload = {
        "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": text,
                    "refusal": None,
                    "annotations": [],
                },
                "logprobs": None,
                "finish_reason": "length" if truncated else "stop",
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": 0,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        },
        "service_tier": "default",
        "system_fingerprint": "fp_openai_wire",
    }
    return json_response(payload)


def response_object(state: ServerState, raw: dict[str, Any] | None, _: Request) -> Response:
    body = require_body(raw)
    model = require_str(body, "model")
    check_responses_input(body)
    instructions = body.get("instructions")
    if instructions is not None and not isinstance(instructions, str):
        raise ApiError(400, "'instructions' must be a string.", param="instructions")
    reject_streaming(body)
    check_temperature(body)
    text_config = response_text_config(body)
    limit = token_limit(body, "max_output_tokens")
    text, truncated = _truncate(state.next_reply_text(body), limit)
    input_tokens = prompt_words(body)
    output_tokens = count_words(text)
    now = int(time.time())
    status = "incomplete" if truncated else "completed"
    payload = {
        "id": f"resp_{uuid.uuid4().hex}",
        "object": "response",
        "created_at": now,
        "completed_at": None if truncated else now,
        "status": status,
        "error": None,
        "incomplete_details": {"reason": "max_output_tokens"} if truncated else None,
        "instructions": instructions,
        "max_output_tokens": limit,
        "metadata": body.get("metadata") or {},
        "model": model,
        "output": [
            {
                "type": "message",
                "id": f"msg_{uuid.uuid4().hex}",
                "status": status,
                "role": "assistant",
                "content": [
                    {"type": "output_text", "text": text, "annotations": [], "logprobs": []}
                ],
            }
        ],
        "parallel_tool_calls": body.get("parallel_tool_calls", True),
        "previous_response_id": body.get("previous_response_id"),
        "reasoning": {"effort": None, "summary": None},
        "service_tier": "default",
        "store": body.get("store", True),
        "temperature": body.get("temperature", 1.0),
        "text": text_config,
        "tool_choice": body.get("tool_choice", "auto"),
        "tools": body.get("tools", []),
        "top_p": body.get("top_p", 1.0),
        "truncation": body.get("truncation", "disabled"),
        "usage": {
            "input_tokens": input_tokens,
            "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
            "output_tokens": output_tokens,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": input_tokens + output_tokens,
        },
        "user": None,
    }
    return json_response(payload)


def _model_object(model_id: str) -> dict[str, Any]:
    return {"id": model_id, "object": "model", "created": 1_700_000_000, "owned_by": "openai-wire"}


def model_list(state: ServerState, _body: dict[str, Any] | None, _: Request) -> Response:
    return json_response({"object": "list", "data": [_model_object(m) for m in state.models]})


def model_retrieve(state: ServerState, _body: dict[str, Any] | None, request: Request) -> Response:
    model_id = str(request.path_params["model_id"])
    if model_id not in state.models:
        raise ApiError(
            404, f"The model '{model_id}' does not exist.", param="model", code="model_not_found"
        )
    return json_response(_model_object(model_id))


def make_eval_run(eval_id: str, run_id: str, **overrides: Any) -> dict[str, Any]:
    """A completed ``eval.run`` object (a ``jsonl`` file-content data source); ``overrides`` win."""
    run: dict[str, Any] = {
        "id": run_id,
        "object": "eval.run",
        "created_at": 1_760_000_000,
        "eval_id": eval_id,
        "name": f"run {run_id}",
        "status": "completed",
        "model": "gpt-4.1-mini",
        "metadata": {},
        "error": {"code": "", "message": ""},
        "data_source": {"type": "jsonl", "source": {"type": "file_content", "content": []}},
        "per_model_usage": [],
        "per_testing_criteria_results": [],
        "report_url": f"https://platform.openai.com/evaluations/{eval_id}?run_id={run_id}",
        "result_counts": {"errored": 0, "failed": 0, "passed": 0, "total": 0},
    }
    return run | overrides


def make_output_item(
    eval_id: str,
    run_id: str,
    index: int,
    item: dict[str, Any],
    *,
    output_text: str | None = None,
    results: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """An ``eval.run.output_item`` for ``item``: id ``outitem_<run_id>_<index>``.

    ``output_text`` becomes one assistant output message of the sample (none when None);
    ``status`` is ``pass`` when every result passed, else ``fail``.
    """
    output = [] if output_text is None else [{"role": "assistant", "content": output_text}]
    return {
        "id": f"outitem_{run_id}_{index}",
        "object": "eval.run.output_item",
        "created_at": 1_760_000_000 + index,
        "eval_id": eval_id,
        "run_id": run_id,
        "datasource_item_id": index,
        "datasource_item": item,
        "status": "pass" if all(r.get("passed") for r in results) else "fail",
        "results": list(results),
        "sample": {
            "error": {"code": "", "message": ""},
            "finish_reason": "stop" if output else "",
            "input": [],
            "max_completion_tokens": 0,
            "model": "gpt-4.1-mini",
            "output": output,
            "seed": 0,
            "temperature": 1.0,
            "top_p": 1.0,
            "usage": {
                "cached_tokens": 0,
                "completion_tokens": 0,
                "prompt_tokens": 0,
                "total_tokens": 0,
            },
        },
    }


def embeddings(state: ServerState, body: dict[str, Any] | None, _: Request) -> Response:
    """``POST /v1/embeddings``: deterministic vectors (each word hashed into 64 dimensions)."""
    raw = (body or {}).get("input")
    texts = [raw] if isinstance(raw, str) else list(raw or [])
    if not texts or not all(isinstance(t, str) for t in texts):
        raise ApiError(400, "'input' must be a string or a list of strings", param="input")
    data = []
    for index, text in enumerate(texts):
        vector = [0.0] * 64
        for word in text.lower().split():
            vector[zlib.crc32(word.encode("utf-8")) % 64] += 1.0
        data.append({"object": "embedding", "index": index, "embedding": vector})
    tokens = sum(len(t.split()) for t in texts)
    return json_response(
        {
            "object": "list",
            "data": data,
            "model": (body or {}).get("model", "embed"),
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }
    )
