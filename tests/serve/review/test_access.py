"""Roles and session cookies: who may do what, without a service."""

from __future__ import annotations

import pytest

from tutorloop.serve.review import ADMIN, Credentials, parse_reviewers, reviewer_may

ADMIN_TOKEN = "admin-token-" + "a1b2c3d4e5f6g7h8"
ALICE_TOKEN = "alice-token-" + "z9y8x7w6v5u4t3s2"


def test_tokens_name_their_holder() -> None:
    credentials = Credentials(ADMIN_TOKEN, {"alice": ALICE_TOKEN})
    assert credentials.from_token(ADMIN_TOKEN.encode()) == ADMIN
    alice = credentials.from_token(ALICE_TOKEN.encode())
    assert alice is not None and alice.name == "alice" and alice.role == "reviewer"
    assert credentials.from_token(b"guess") is None
    assert credentials.from_header(f"Bearer {ALICE_TOKEN}".encode()) == alice
    assert credentials.from_header(f"Basic {ALICE_TOKEN}".encode()) is None


def test_a_session_cookie_is_signed_and_expires() -> None:
    credentials = Credentials(ADMIN_TOKEN, {"alice": ALICE_TOKEN})
    alice = credentials.from_token(ALICE_TOKEN.encode())
    assert alice is not None
    cookie = credentials.session_cookie(alice, now=1000.0)
    assert ALICE_TOKEN not in cookie and ADMIN_TOKEN not in cookie
    assert credentials.from_cookie(cookie, now=1001.0) == alice
    assert credentials.from_cookie(cookie, now=1000.0 + 13 * 3600) is None  # expired
    _, _, signature = cookie.rpartition(".")
    forged = credentials.session_cookie(ADMIN, now=1000.0).rpartition(".")[0]
    assert credentials.from_cookie(f"{forged}.{signature}", now=1001.0) is None
    # another admin token signs differently: changing it ends every session
    assert Credentials("another-admin-token-q1w2e3r4").from_cookie(cookie, now=1001.0) is None
    # a reviewer removed from the list loses their session
    assert Credentials(ADMIN_TOKEN).from_cookie(cookie, now=1001.0) is None


def test_reviewers_reach_only_the_review_routes() -> None:
    for method, path in [("GET", "/v1/runs/r1"), ("GET", "/v1/runs/r1/report"),
                         ("GET", "/v1/labels"), ("POST", "/v1/labels"), ("GET", "/review"),
                         ("GET", "/review/runs/r1/queue"), ("POST", "/review/logout"),
                         ("GET", "/v1/review/queue"), ("GET", "/v1/review/runs"),
                         ("GET", "/review/static/review.js")]:  # fmt: skip
        assert reviewer_may(method, path), (method, path)
    for method, path in [("POST", "/v1/runs"), ("POST", "/v1/grade"), ("GET", "/v1/evals"),
                         ("GET", "/v1/files"), ("POST", "/v1/files"), ("POST", "/"),
                         ("GET", "/v1/datasets"), ("DELETE", "/v1/labels"),
                         ("GET", "/v1/runs/r1/report/x"), ("POST", "/v1/review/queue"),
                         ("GET", "/v1/review"), ("GET", "/v1/review/queue/x"),
                         ("POST", "/review/runs/r1/queue")]:  # fmt: skip
        assert not reviewer_may(method, path), (method, path)


@pytest.mark.parametrize(
    "text", ["alice", "alice=", "=tok", "alice=a,alice=b", "admin=tok", "al ice=tok"]
)
def test_a_malformed_reviewer_list_is_refused(text: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_reviewers(text)
    assert "tok" not in str(caught.value).replace("token", "")


def test_reviewer_lists_parse() -> None:
    assert parse_reviewers(" alice=t1 , bob=t2,") == {"alice": "t1", "bob": "t2"}
    assert parse_reviewers("") == {}
