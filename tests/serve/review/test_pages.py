"""The review pages over real HTTP, read as a browser with JavaScript off would read them."""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape
from pathlib import Path
from urllib.parse import quote

import pytest

import tutorloop
from tests.present.test_report import make_replay_run
from tutorloop import bundled_sessions
from tutorloop.records import SEVERITY_ORDER
from tutorloop.run import RunConfig
from tutorloop.store import Store

from ..conftest import TOKEN, LiveService

ALICE = "alice-token-" + "m1n2b3v4c5x6z7l8"
GRADED = "graded-run"


@pytest.fixture
def pages(
    make_service: Callable[..., LiveService], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> LiveService:
    """A service over a store with a graded run (logged sessions) and a replayed run ("R")."""
    store_path = make_replay_run(tmp_path / "replay")
    tutorloop.grade(bundled_sessions(), run=RunConfig(run_id=GRADED, store_path=store_path))
    monkeypatch.setenv("TUTORLOOP_REVIEWER_TOKENS", f"alice={ALICE}")
    return make_service(token=TOKEN, store_path=store_path)


def _escalated(service: LiveService, run_id: str) -> list[str]:
    with Store.open(service.config.store_path) as store:
        return [i.item_key for i in store.iter_items(run_id, escalated_only=True)]


def _text(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", html))


def test_the_runs_page_lists_every_run_with_gates_figures_and_report(pages: LiveService) -> None:
    with pages.client(ALICE) as alice:
        page = alice.get("/review")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        html = page.text
        for run_id in (GRADED, "R"):
            assert f'href="/v1/runs/{run_id}/report"' in html
            assert f'href="/review/runs/{run_id}/queue"' in html
        assert "required gates" in html and "signed in as alice" in html
        assert alice.get("/v1/runs/R/report").status_code == 200  # the link works for them
        runs = alice.get("/v1/review/runs").json()["data"]
        graded = next(r for r in runs if r["run_id"] == GRADED)
        sessions = len(list(bundled_sessions().glob("*.json")))
        assert graded["sessions"] == sessions
        assert graded["escalated"] == len(_escalated(pages, GRADED))
        assert isinstance(graded["required_pass"], bool) and graded["labelled"] == 0


def test_the_queue_shows_titles_grouped_by_cause_and_filters(pages: LiveService) -> None:
    keys = _escalated(pages, GRADED)
    with pages.client(ALICE) as alice:
        html = alice.get(f"/review/runs/{GRADED}/queue").text
        assert "<script" in html  # the shortcuts; reading needs none of it
        shown = re.findall(r'class="row-title" href="([^"]+)">([^<]+)</a>', html)
        assert len(shown) == len(keys)
        for href, title in shown:
            assert href.startswith(f"/review/runs/{GRADED}/items/")
            assert unescape(title) not in keys  # an opening line, not the key
        causes = re.findall(r'<section class="card group" data-cause="([^"]+)"', html)
        assert causes and len(causes) == len(set(causes))
        data = alice.get("/v1/review/queue", params={"run_id": GRADED}).json()
        assert [row["item_key"] for row in data["data"]] == [
            key for g in data["groups"] for key in g["item_keys"]
        ]
        by_key = {row["item_key"]: row for row in data["data"]}
        for group in data["groups"]:  # most severe first within a cause
            ranks = [SEVERITY_ORDER.get(by_key[k]["severity"] or "", 0) for k in group["item_keys"]]
            assert ranks == sorted(ranks, reverse=True)
        tops = [SEVERITY_ORDER.get(by_key[g["item_keys"][0]]["severity"] or "", 0)
                for g in data["groups"]]  # fmt: skip
        assert tops == sorted(tops, reverse=True)  # causes by their most severe session
        domain = data["data"][0]["domain"]
        assert domain in data["facets"]["domain"]
        filtered = alice.get(f"/review/runs/{GRADED}/queue", params={"domain": domain}).text
        rows = re.findall(r'class="row-title"', filtered)
        expected = sum(1 for row in data["data"] if row["domain"] == domain)
        assert len(rows) == expected < len(keys)
        assert f'<option value="{domain}" selected>' in filtered
        paged = alice.get("/v1/review/queue", params={"run_id": GRADED, "per_page": 2}).json()
        assert paged["pages"] == -(-len(keys) // 2) and len(paged["data"]) == 2
        nxt = alice.get("/v1/review/queue", params={"run_id": GRADED, "order": "next"}).json()
        priorities = [row["priority"] for row in nxt["data"]]
        assert priorities == sorted(priorities, reverse=True) and priorities[0] > 0
        assert "What should I label?" in html
        bad = alice.get(f"/review/runs/{GRADED}/queue", params={"label": "maybe"})
        assert bad.status_code == 400 and "label" in _text(bad.text)
        assert alice.get("/v1/review/queue", params={"order": "x"}).status_code == 400
        across = alice.get("/review/queue").text
        assert 'run <span class="mono">R</span>' in across


def test_label_status_filters_follow_the_labels(pages: LiveService) -> None:
    keys = _escalated(pages, GRADED)
    with pages.client(ALICE) as alice:
        label = {"run_id": GRADED, "item_key": keys[0], "dimension": "overall", "value": "fail"}
        assert alice.post("/v1/labels", json=label).status_code == 201
        done = alice.get("/v1/review/queue", params={"run_id": GRADED, "label": "labelled"})
        assert [row["item_key"] for row in done.json()["data"]] == [keys[0]]
        todo = alice.get("/v1/review/queue", params={"run_id": GRADED, "label": "unlabelled"})
        assert keys[0] not in [row["item_key"] for row in todo.json()["data"]]
        page = alice.get(f"/review/runs/{GRADED}/items/{quote(keys[0], safe='')}").text
        assert re.search(r'data-dimension="overall".*?aria-pressed="true">fail', page, re.S)


def test_a_session_page_shows_both_trajectories_evidence_and_verdicts(
    pages: LiveService,
) -> None:
    keys = _escalated(pages, "R")
    with Store.open(pages.config.store_path) as store:
        regenerated = next(
            key for key in keys
            if (item := store.get_item("R", key)) and item.condition in ("base", "overlay")
        )  # fmt: skip
    with pages.client(ALICE) as alice:
        html = alice.get(f"/review/runs/R/items/{quote(regenerated, safe='')}").text
        assert "original (logged)" in html and "regenerated (" in html
        assert "<mark" in html  # the checks' evidence, highlighted in the turns
        assert 'id="checks"' in html and "heuristic" in html and "judge" in html
        assert "model sim/" in _text(html)
        assert 'data-kind="turn"' in html and "Mistake_Identification" in html
        assert 'data-dimension="escalate"' in html
        assert "<script>alert(1)</script>" not in html  # the planted text is escaped
        logged = _escalated(pages, GRADED)[0]
        html = alice.get(f"/review/runs/{GRADED}/items/{quote(logged, safe='')}").text
        assert "kept in the store" in html and 'class="turn tutor"' in html
        assert 'rel="next"' in html  # j/k follow the queue


def test_missing_runs_and_sessions_get_a_404_naming_them(pages: LiveService) -> None:
    with pages.client(ALICE) as alice:
        run = alice.get("/review/runs/no-such-run/queue")
        assert run.status_code == 404 and "no-such-run" in _text(run.text)
        item = alice.get(f"/review/runs/{GRADED}/items/no-such-session")
        assert item.status_code == 404 and "no-such-session" in _text(item.text)
        api = alice.get("/v1/review/queue", params={"run_id": "no-such-run"})
        assert api.status_code == 404 and "no-such-run" in api.json()["error"]["message"]


def test_a_browser_without_a_session_is_sent_to_sign_in(pages: LiveService) -> None:
    with pages.client(auth=False) as browser:
        page = browser.get(f"/review/runs/{GRADED}/queue")
        assert page.status_code == 303
        assert page.headers["location"] == f"/review/login?next=%2Freview%2Fruns%2F{GRADED}%2Fqueue"
        assert browser.get("/v1/review/queue").status_code == 401
        signed = browser.post("/review/login", data={"token": ALICE, "next": "/review/queue"})
        assert signed.status_code == 303 and signed.headers["location"] == "/review/queue"
        assert browser.get("/review/queue").status_code == 200
        script = browser.get("/review/static/review.js")
        assert script.status_code == 200 and "/v1/labels" in script.text
        assert "http" not in script.text  # nothing fetched from elsewhere


def test_a_reviewer_reads_the_review_json_and_nothing_else(pages: LiveService) -> None:
    with pages.client(ALICE) as alice:
        assert alice.get("/v1/review/queue").status_code == 200
        assert alice.post("/v1/review/queue", json={}).status_code == 403
        assert alice.get("/v1/review/other").status_code == 403
