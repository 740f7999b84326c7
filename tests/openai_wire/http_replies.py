"""OpenAI-shaped HTTP replies: JSON bodies, error bodies and :class:`ApiError`."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

from fastapi.responses import Response

__all__ = ["ApiError", "client_gone", "error_response", "json_response", "request_id"]


class ApiError(Exception):
    """An OpenAI-shaped error reply, raised by request validation."""

    def __init__(
        self, status: int, message: str, *, param: str | None = None, code: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.param = param
        self.code = code


def _error_type(status: int) -> str:
    if status == 429:
        return "requests"
    if status >= 500:
        return "server_error"
    return "invalid_request_error"


def request_id() -> str:
    return f"req_{uuid.uuid4().hex}"


def json_response(
    payload: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    all_headers = {"x-request-id": request_id()}
    if headers:
        all_headers.update(headers)
    return Response(
        content=json.dumps(payload, separators=(",", ":")).encode("utf-8"),
        status_code=status,
        media_type="application/json",
        headers=all_headers,
    )


def error_response(
    status: int,
    message: str,
    *,
    error_type: str | None = None,
    param: str | None = None,
    code: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    error = {
        "message": message,
        "type": error_type or _error_type(status),
        "param": param,
        "code": code,
    }
    return json_response({"error": error}, status, headers)


def client_gone() -> Response:
    """A reply for a client that already disconnected; the server discards it."""
    return Response(status_code=499)
