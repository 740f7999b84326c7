"""Errors as OpenAI's error JSON: ``{"error": {"message", "type", "param", "code"}}``.

Every error the service answers with has that shape (the official SDK reads ``message`` from
it), names the field in ``param`` when one is at fault, and is scrubbed of keys and tokens.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from tutorloop.errors import ConfigError, StoreError, TutorloopError, scrub

__all__ = [
    "ApiError",
    "error_body",
    "field_path",
    "install_error_handlers",
    "own_error_response",
]


class ApiError(Exception):
    """An HTTP error answered as OpenAI's error JSON."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        kind: str = "invalid_request_error",
    ) -> None:
        super().__init__(scrub(message))
        self.status = status
        self.message = scrub(message)
        self.param = param
        self.code = code
        self.kind = kind

    @classmethod
    def not_found(cls, what: str, ident: str, param: str | None = None) -> ApiError:
        """404 for an unknown object."""
        return cls(404, f"no {what} with id '{ident}'", param=param, code="not_found")

    def response(self) -> JSONResponse:
        """The JSON response of this error."""
        body = error_body(self.message, kind=self.kind, param=self.param, code=self.code)
        headers = {"WWW-Authenticate": "Bearer"} if self.status == 401 else None
        return JSONResponse(body, status_code=self.status, headers=headers)


def error_body(
    message: str,
    *,
    kind: str = "invalid_request_error",
    param: str | None = None,
    code: str | None = None,
) -> dict[str, Any]:
    """OpenAI's error object."""
    return {"error": {"message": scrub(message), "type": kind, "param": param, "code": code}}


def field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    """``("body", "sessions", 0, "trajectory")`` → ``sessions[0].trajectory``."""
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors: list[dict[str, Any]] = [dict(e) for e in exc.errors()]
    first: dict[str, Any] = errors[0] if errors else {"loc": (), "msg": "invalid", "type": ""}
    path = field_path(first.get("loc", ()))
    if first.get("type") == "json_invalid":
        ctx = first.get("ctx") or {}
        detail = ctx.get("error", first.get("msg"))
        message = f"the request body is not valid JSON: {detail}"
        body = error_body(message, code="invalid_json")
        return JSONResponse(body, status_code=400)
    message = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
    if first.get("type") == "missing":
        message = "missing required field"
    elif first.get("type") == "extra_forbidden":
        message = "unknown field"
    more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
    text = f"{path}: {message}{more}" if path else f"{message}{more}"
    body = error_body(text, param=path or None, code="invalid_value")
    body["error"]["errors"] = [
        {"param": field_path(e.get("loc", ())), "message": str(e.get("msg", ""))}
        for e in errors[:50]
    ]
    return JSONResponse(body, status_code=400)


def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    codes = {404: "not_found", 405: "method_not_allowed", 413: "request_too_large"}
    message = str(exc.detail)
    if exc.status_code == 404:
        message = f"no route {request.method} {request.url.path}"
    elif exc.status_code == 405:
        message = f"method {request.method} is not allowed on {request.url.path}"
    return JSONResponse(
        error_body(message, code=codes.get(exc.status_code)),
        status_code=exc.status_code,
        headers=getattr(exc, "headers", None),
    )


def _api(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return exc.response()


def _tutorloop(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, TutorloopError)
    return _tutorloop_response(exc)


def _tutorloop_response(exc: TutorloopError) -> JSONResponse:
    if isinstance(exc, StoreError):
        return JSONResponse(error_body(exc.message, kind="server_error"), status_code=500)
    param = exc.field if isinstance(exc, ConfigError) else None
    return JSONResponse(error_body(exc.message, param=param), status_code=400)


def own_error_response(exc: Exception) -> JSONResponse | None:
    """The answer to one of tutorloop's own errors (as the handlers give it), else None."""
    if isinstance(exc, ApiError):
        return exc.response()
    if isinstance(exc, TutorloopError):
        return _tutorloop_response(exc)
    return None


def install_error_handlers(app: FastAPI) -> None:
    """Answer validation, HTTP, tutorloop and API errors as OpenAI's error JSON."""
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(ApiError, _api)
    app.add_exception_handler(TutorloopError, _tutorloop)
