"""The unweave evals POC's routes answer as its eval-server did."""

from __future__ import annotations

from .conftest import LiveService


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
            assert body == {"data": [{"input": "study-mode"}, {"input": "refusal-smoke"}]}
            assert client.post(path).status_code == 405


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
