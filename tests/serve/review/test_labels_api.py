"""The labels API and the reviewer role over real HTTP: write, read, audit, refuse, restart."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

import tutorloop
from tutorloop import bundled_sessions
from tutorloop.run import RunConfig
from tutorloop.store import Store

from ..conftest import TOKEN, LiveService

ALICE = "alice-token-" + "k3j4h5g6f7d8s9a0"
BOB = "bob-token-" + "p0o9i8u7y6t5r4e3w2"
RUN = "review-run"


@pytest.fixture
def reviewed(
    make_service: Callable[..., LiveService], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[LiveService, list[str]]:
    """A service with two reviewers over a store holding one graded run."""
    store_path = tmp_path / "store" / "tutorloop.db"
    tutorloop.grade(bundled_sessions(), run=RunConfig(run_id=RUN, store_path=store_path))
    with Store.open(store_path) as store:
        keys = sorted(item.item_key for item in store.iter_items(RUN))
    monkeypatch.setenv("TUTORLOOP_REVIEWER_TOKENS", f"alice={ALICE},bob={BOB}")
    return make_service(token=TOKEN), keys


def test_a_reviewer_labels_and_reads_labels_as_themselves(
    reviewed: tuple[LiveService, list[str]],
) -> None:
    service, keys = reviewed
    with service.client(ALICE) as alice:
        one = alice.post(
            "/v1/labels",
            json={"run_id": RUN, "item_key": keys[0], "dimension": "diagnosis_first",
                  "value": "fail", "note": "no question before the explanation"},
        )  # fmt: skip
        assert one.status_code == 201, one.text
        label = one.json()
        assert label["rater"] == "alice" and label["label_id"] >= 1
        assert label["source"] == "human" and label["labelled_at"].endswith("+00:00")
        assert label["grader_versions"], "the label records the grader versions it was shown"
        batch = alice.post(
            "/v1/labels",
            json={"labels": [
                {"run_id": RUN, "item_key": keys[0], "dimension": "overall", "value": "fail"},
                {"run_id": RUN, "item_key": keys[0], "dimension": "Providing_Guidance",
                 "turn": 1, "value": "To some extent"},
            ]},
        )  # fmt: skip
        assert batch.status_code == 201, batch.text
        assert [x["dimension"] for x in batch.json()["data"]] == ["overall", "Providing_Guidance"]
        listed = alice.get("/v1/labels", params={"run_id": RUN, "item_key": keys[0]}).json()
        assert len(listed["data"]) == 3
        assert alice.get(f"/v1/runs/{RUN}").status_code == 200
    with Store.open(service.config.store_path) as store:
        audit = store.labels.audit(RUN)
    assert [(a.actor, a.action) for a in audit] == [("alice", "create")] * 3


def test_a_reviewer_token_is_refused_on_every_other_route(
    reviewed: tuple[LiveService, list[str]],
) -> None:
    service, _ = reviewed
    with service.client(BOB) as bob:
        for method, path in [("POST", "/v1/grade"), ("POST", "/v1/runs"), ("GET", "/v1/evals"),
                             ("POST", "/v1/evals"), ("GET", "/v1/files"), ("POST", "/"),
                             ("GET", "/v1/datasets"), ("POST", "/v1/validate"),
                             ("GET", "/datasets")]:  # fmt: skip
            reply = bob.request(method, path, json={})
            assert reply.status_code == 403, (method, path, reply.text)
            assert reply.json()["error"]["code"] == "forbidden"
            assert BOB not in reply.text


def test_a_reviewer_cannot_label_as_someone_else_but_the_admin_can(
    reviewed: tuple[LiveService, list[str]],
) -> None:
    service, keys = reviewed
    label = {"run_id": RUN, "item_key": keys[1], "dimension": "escalate", "value": "yes"}
    with service.client(BOB) as bob:
        reply = bob.post("/v1/labels", json=label | {"rater": "alice"})
        assert reply.status_code == 403 and "rater" in reply.json()["error"]["message"]
    with service.client(TOKEN) as admin:
        reply = admin.post("/v1/labels", json=label | {"rater": "teacher-7"})
        assert reply.status_code == 201 and reply.json()["rater"] == "teacher-7"


def test_bad_labels_get_errors_naming_what_is_wrong(
    reviewed: tuple[LiveService, list[str]],
) -> None:
    service, keys = reviewed
    good = {"run_id": RUN, "item_key": keys[0], "dimension": "conciseness", "value": "pass"}
    with service.client(ALICE) as alice:
        missing = alice.post("/v1/labels", json=good | {"item_key": "no-such-session"})
        assert missing.status_code == 404
        assert "no-such-session" in missing.json()["error"]["message"]
        no_run = alice.post("/v1/labels", json=good | {"run_id": "no-such-run"})
        assert no_run.status_code == 404 and "no-such-run" in no_run.json()["error"]["message"]
        value = alice.post("/v1/labels", json=good | {"value": "maybe"})
        assert value.status_code == 400 and "'pass'" in value.json()["error"]["message"]
        turn = alice.post("/v1/labels", json=good | {"turn": 0})
        assert turn.status_code == 400 and "Mistake_Identification" in turn.text
        field = alice.post("/v1/labels", json={k: v for k, v in good.items() if k != "value"})
        assert field.status_code == 400 and field.json()["error"]["param"] == "value"
        # one bad label in a batch writes none of it
        batch = alice.post("/v1/labels", json={"labels": [good, good | {"item_key": "nope"}]})
        assert batch.status_code == 404
        assert alice.get("/v1/labels", params={"run_id": RUN}).json()["data"] == []


def test_labels_survive_a_restart(
    reviewed: tuple[LiveService, list[str]], make_service: Callable[..., LiveService]
) -> None:
    service, keys = reviewed
    label = {"run_id": RUN, "item_key": keys[2], "dimension": "safety", "value": "pass"}
    with service.client(ALICE) as alice:
        assert alice.post("/v1/labels", json=label).status_code == 201
    service.stop()
    again = make_service(token=TOKEN)
    with again.client(ALICE) as alice:
        found = alice.get("/v1/labels", params={"run_id": RUN, "rater": "alice"}).json()["data"]
    assert [(x["item_key"], x["value"]) for x in found] == [(keys[2], "pass")]


def test_the_login_form_sets_a_session_cookie_for_the_review_routes_only(
    reviewed: tuple[LiveService, list[str]],
) -> None:
    service, keys = reviewed
    with service.client(auth=False) as browser:
        assert browser.get("/review/login").status_code == 200
        wrong = browser.post("/review/login", data={"token": "not-a-token"})
        assert wrong.status_code == 401 and "tutorloop_session" not in wrong.headers.get(
            "set-cookie", ""
        )
        signed = browser.post("/review/login", data={"token": ALICE, "next": "//evil.example"})
        assert signed.status_code == 303 and signed.headers["location"] == "/review"
        cookie = signed.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and ALICE not in cookie
        label = {"run_id": RUN, "item_key": keys[0], "dimension": "overall", "value": "pass"}
        assert browser.post("/v1/labels", json=label).json()["rater"] == "alice"
        assert browser.post("/v1/grade", json={}).status_code == 401  # cookies open review only
        browser.cookies.set("tutorloop_session", "forged.value")
        assert browser.get("/v1/labels").status_code == 401
