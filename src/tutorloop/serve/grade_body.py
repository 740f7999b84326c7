"""One ``POST /v1/grade`` body → its answer's bytes: parse, validate, grade, encode.

The whole of a grading request's work in one synchronous call, so it runs in one hand-off (in a
grading process, :mod:`tutorloop.serve.grade_pool`). ``POST /v1/validate`` shares the reading of
records and the problem lists.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from tutorloop.load import Item, items_of
from tutorloop.records import ReplayArtifact, Session
from tutorloop.run import SessionGrader
from tutorloop.serve.errors import ApiError, field_path

__all__ = ["grade_body", "parse_record", "records_of"]


class _Batch(BaseModel):
    """A batch body that is exactly ``{"sessions": [session, ...]}``: the fast path's shape."""

    model_config = ConfigDict(extra="forbid")
    sessions: list[Session]


def records_of(body: Any, most: int) -> tuple[list[dict[str, Any]], bool]:
    """The sessions of a grade/validate body, and whether it was a batch."""
    if isinstance(body, dict) and "sessions" in body:
        sessions = body["sessions"]
        if not isinstance(sessions, list) or not sessions:
            raise ApiError(400, "sessions: must be a non-empty list", param="sessions")
        if len(sessions) > most:
            message = f"sessions: at most {most} per request; use POST /v1/runs for more"
            raise ApiError(413, message, param="sessions")
        return sessions, True
    if isinstance(body, dict):
        return [body], False
    if isinstance(body, bytes | str):  # not sent as application/json
        message = 'the body must be JSON sent with "Content-Type: application/json"'
        raise ApiError(400, message, param=None, code="invalid_json")
    kind = type(body).__name__
    message = f'expected a session object or {{"sessions": [...]}}, found {kind}'
    raise ApiError(400, message, param=None)


def parse_record(data: Any, where: str) -> Session | ReplayArtifact | list[dict[str, str]]:
    """A record, or its problems as ``[{param, message}]``."""
    if not isinstance(data, dict):
        return [
            {"param": where, "message": f"must be a session object, found {type(data).__name__}"}
        ]
    model: type[Session] | type[ReplayArtifact] = (
        ReplayArtifact if "regenerated_trajectory" in data else Session
    )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_url=False):
            path = field_path(error["loc"])
            message = str(error["msg"]).removeprefix("Value error, ")
            if error["type"] == "missing":
                message = "missing required field"
            elif error["type"] == "extra_forbidden":
                message = "unknown field (put custom fields under 'metadata')"
            full = f"{where}.{path}" if where and path else where or path
            problems.append({"param": full, "message": message})
        return problems


def grade_body(body: bytes, most: int, grader: SessionGrader) -> bytes:
    """The JSON answer to a ``POST /v1/grade`` body (raises :class:`ApiError` on bad input).

    Args:
        body: The request body (the guard has bounded its size, depth and numbers).
        most: Sessions one request may send (``max_grade_sessions``).
        grader: The heuristics and the decision.
    """
    parsed = _straight(body, most) or _checked(body, most)
    records, batch = parsed
    items: list[Item] = []
    for record in records:
        items.extend(items_of(record, "request"))
    # Serialised by pydantic in one step: the generic encoder costs more than the grading.
    results = [grader.grade(item).model_dump_json(exclude_none=True) for item in items]
    if not batch and len(results) == 1:
        return results[0].encode("utf-8")
    return ('{"object": "list", "results": [' + ", ".join(results) + "]}").encode("utf-8")


_Records = tuple[list[Session] | list[Session | ReplayArtifact], bool]
"""The records of a body, and whether it was a batch."""


def _straight(body: bytes, most: int) -> _Records | None:
    """The records parsed straight from the bytes into the models (pydantic's JSON parser).

    None when the body needs the checked path: a replay artifact, a batch out of bounds, or a
    problem to name field by field.
    """
    try:
        if b'"sessions"' in body:
            sessions = _Batch.model_validate_json(body).sessions
            return (sessions, True) if 0 < len(sessions) <= most else None
        return [Session.model_validate_json(body)], False
    except ValidationError:
        return None


def _checked(body: bytes, most: int) -> _Records:
    """The records through the generic JSON parser, the first problem named."""
    sessions, batch = records_of(_json(body), most)
    records: list[Session | ReplayArtifact] = []
    for index, data in enumerate(sessions):
        parsed = parse_record(data, f"sessions[{index}]" if batch else "")
        if isinstance(parsed, list):
            first = parsed[0]
            message = (
                f"{first['param']}: {first['message']}" if first["param"] else first["message"]
            )
            more = f" (and {len(parsed) - 1} more problem(s))" if len(parsed) > 1 else ""
            raise ApiError(400, message + more, param=first["param"] or None, code="invalid_value")
        records.append(parsed)
    return records, batch


def _json(body: bytes) -> Any:
    """The request body's JSON."""
    try:
        return json.loads(body)
    except ValueError as exc:  # JSONDecodeError, or bytes that are not UTF-8
        detail = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
        message = f"the request body is not valid JSON: {detail}"
        raise ApiError(400, message, param=None, code="invalid_json") from None
