"""The unweave evals POC's routes answer as its eval-server did."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.openai_wire.request_text import last_user_text
from tests.openai_wire.runner import LocalOpenAIServer
from tutorloop.store import Store

from .conftest import LiveService

FIXTURE = Path(__file__).parents[1] / "fixtures" / "registry"


def test_post_root_runs_a_named_eval(live: LiveService) -> None:
    with live.client() as client:
        reply = client.post("/", json="study-mode")
    assert reply.status_code == 200
    report = reply.json()["final_report"]
    assert report["counts"]["total"] > 0
    assert 0.0 <= report["accuracy"] <= 1.0
    assert report["accuracy"] == report["counts"]["passed"] / report["counts"]["total"]


def test_refusal_smoke_eval_classifies_the_six_prompts(live: LiveService) -> None:
    with live.client() as client:
        report = client.post("/", json="refusal-smoke").json()["final_report"]
    assert report["counts"]["total"] == 6
    assert report["model"] == "sim/study"


def test_root_refuses_other_methods_and_bad_names(live: LiveService) -> None:
    with live.client() as client:
        assert client.get("/").status_code == 405  # the origin's readiness probe waits for this
        assert client.get("/").text == "method not allowed\n"
        assert client.post("/", json={"eval": "study-mode"}).status_code == 400
        assert client.post("/", json="test-nope").status_code == 404


def test_dataset_lists_the_evals_under_both_names(live: LiveService) -> None:
    with live.client() as client:
        for path in ("/dataset", "/datasets"):
            body = client.get(path).json()
            assert body == {
                "data": [
                    {"input": "study-mode"},
                    {"input": "refusal-smoke"},
                    {"input": "test-match"},  # the bundled registry's, after the bundled two
                    {"input": "tutor-asks"},
                    {"input": "tutor-reply-quality"},
                ]
            }
            assert client.post(path).status_code == 405


def test_post_root_runs_a_registry_eval_by_name(live: LiveService) -> None:
    with live.client() as client:
        reply = client.post("/", json="test-match")
        assert reply.status_code == 200, reply.text
        body = reply.json()
        assert set(body["final_report"]) == {"accuracy", "boostrap_std"}
        graded = client.post("/", json="tutor-reply-quality").json()["final_report"]
    assert graded["invalid_request_during_completion"] == 0
    assert sum(v for k, v in graded.items() if k.startswith("counts/choice/")) == 2
    stored = Store.open(live.config.store_path)
    try:
        manifest = stored.get_run(body["run_id"])
    finally:
        stored.close()
    assert manifest.kind == "oaieval" and manifest.config["final_report"] == body["final_report"]


def test_registry_evals_run_against_a_model_over_http(
    make_service: Callable[..., LiveService], openai_wire: LocalOpenAIServer, tmp_path: Path
) -> None:
    capitals = {"Peru": "Lima", "Kenya": "Nairobi", "Canada": "Ottawa", "Norway": "Oslo"}
    openai_wire.state.responder = lambda body: next(
        (city for country, city in capitals.items() if country in last_user_text(body)), "?"
    )
    live = make_service(registry_path=FIXTURE, poc_model="openai/gpt-4.1-mini")
    with live.client() as client:
        names = [d["input"] for d in client.get("/datasets").json()["data"]]
        assert names[2:] == [
            "explain-check", "test-fuzzy-match", "test-includes", "test-json-match", "test-match",
        ]  # fmt: skip
        reply = client.post("/", json="test-match")
        assert reply.status_code == 200, reply.text
        assert reply.json()["final_report"] == {"accuracy": 1.0, "boostrap_std": 0.0}
        assert client.post("/", json="test-match.s1.simple-v0").status_code == 200
        assert client.post("/", json="no-such-eval").status_code == 404
    chats = [e for e in openai_wire.state.log if e["path"].endswith("/chat/completions")]
    assert len(chats) == 8 and {e["model"] for e in chats} == {"gpt-4.1-mini"}


def test_a_registry_eval_that_cannot_run_answers_500_with_the_reason(
    make_service: Callable[..., LiveService], tmp_path: Path
) -> None:
    root = tmp_path / "reg"
    (root / "evals").mkdir(parents=True)
    (root / "evals" / "x.yaml").write_text("x:\n  id: x.s1.v0\nx.s1.v0:\n  class: Mine\n")
    live = make_service(registry_path=root)
    with live.client() as client:
        reply = client.post("/", json="x")
    assert reply.status_code == 500 and "does not run here" in reply.text


def test_assert_echoes_the_body_and_refuses_an_empty_one(live: LiveService) -> None:
    with live.client() as client:
        for path in ("/assert", "/validate"):
            json_type = {"content-type": "application/json"}
            echoed = client.post(path, content=b'{"a": [1, 2]}', headers=json_type)
            assert echoed.status_code == 200
            assert echoed.content == b'{"a": [1, 2]}'
            empty = client.post(path, content=b"")
            assert empty.status_code == 400
            assert empty.text == "no data\n"
            assert client.get(path).status_code == 405


def test_unknown_paths_are_404(live: LiveService) -> None:
    with live.client() as client:
        assert client.get("/nothing-here").status_code == 404
        assert client.get("/v1/nothing").json()["error"]["code"] == "not_found"
