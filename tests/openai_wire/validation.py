"""Validation of chat / responses request bodies; failures raise :class:`ApiError` (400)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .http_replies import ApiError

__all__ = [
    "check_responses_input",
    "check_temperature",
    "reject_streaming",
    "require_body",
    "require_str",
    "response_text_config",
    "token_limit",
]


def require_str(body: Mapping[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value:
        raise ApiError(400, f"Missing required parameter: '{key}'.", param=key)
    return value


def reject_streaming(body: Mapping[str, Any]) -> None:
    if body.get("stream"):
        raise ApiError(
            400,
            "Streaming is not supported by the openai_wire test server.",
            param="stream",
            code="unsupported_value",
        )


def check_temperature(body: Mapping[str, Any]) -> None:
    value = body.get("temperature")
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 2:
        raise ApiError(
            400,
            f"Invalid 'temperature': expected a number between 0 and 2, got {value!r}.",
            param="temperature",
            code="invalid_value",
        )


def token_limit(body: Mapping[str, Any], *keys: str) -> int | None:
    for key in keys:
        value = body.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ApiError(
                400,
                f"Invalid '{key}': expected a positive integer, got {value!r}.",
                param=key,
                code="invalid_value",
            )
        return value
    return None


def require_body(body: dict[str, Any] | None) -> dict[str, Any]:
    if body is None:
        raise ApiError(400, "A JSON request body is required.")
    return body


def check_responses_input(body: Mapping[str, Any]) -> None:
    value = body.get("input")
    if isinstance(value, str):
        return
    if isinstance(value, list) and all(isinstance(item, dict) for item in value):
        return
    raise ApiError(400, "'input' must be a string or an array of input items.", param="input")


def response_text_config(body: Mapping[str, Any]) -> dict[str, Any]:
    config = body.get("text")
    if config is None:
        return {"format": {"type": "text"}}
    if not isinstance(config, dict):
        raise ApiError(400, "'text' must be an object.", param="text")
    fmt = config.get("format")
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        for key in ("name", "schema"):
            if key not in fmt:
                raise ApiError(
                    400,
                    f"Missing required parameter: 'text.format.{key}'.",
                    param=f"text.format.{key}",
                )
    return config
