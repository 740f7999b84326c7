"""``POST /v1/grade`` bodies: parsed straight into the records, or checked, the problem named."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tutorloop import bundled_sessions
from tutorloop.bundled import synthetic_session
from tutorloop.run import SessionGrader
from tutorloop.serve.errors import ApiError
from tutorloop.serve.grade_body import _checked, _straight, grade_body


def _sessions() -> list[dict[str, Any]]:
    found = [
        json.loads(p.read_text(encoding="utf-8")) for p in sorted(bundled_sessions().glob("*.json"))
    ]
    return found + [synthetic_session(i) for i in range(3)]


def test_the_straight_path_reads_the_same_records_as_the_checked_path() -> None:
    sessions = _sessions()
    for session in sessions:
        body = json.dumps(session).encode("utf-8")
        assert _straight(body, 256) == _checked(body, 256)
    batch = json.dumps({"sessions": sessions}).encode("utf-8")
    straight = _straight(batch, 256)
    assert straight is not None and straight[1] is True
    assert straight == _checked(batch, 256)


def test_grade_body_answers_a_session_and_a_batch() -> None:
    grader = SessionGrader()
    session = _sessions()[0]
    one = json.loads(grade_body(json.dumps(session).encode("utf-8"), 256, grader))
    assert one["session_id"] == session["session_id"]
    batch = json.loads(grade_body(json.dumps({"sessions": [session]}).encode("utf-8"), 256, grader))
    assert batch["object"] == "list" and batch["results"] == [one]


@pytest.mark.parametrize(
    ("body", "status", "param"),
    [
        ({"sessions": []}, 400, "sessions"),
        ({"sessions": [{}] * 3}, 413, "sessions"),
        ({"sessions": [{"session_id": "x"}]}, 400, "sessions[0].domain"),
        ({"session_id": "x", "trajectory": [], "extra": 1}, 400, None),
    ],
)
def test_bodies_the_straight_path_refuses_are_checked_with_their_problem_named(
    body: dict[str, Any], status: int, param: str | None
) -> None:
    data = json.dumps(body).encode("utf-8")
    assert _straight(data, 2) is None
    with pytest.raises(ApiError) as raised:
        grade_body(data, 2, SessionGrader())
    assert raised.value.status == status
    if param is not None:
        assert raised.value.param == param
