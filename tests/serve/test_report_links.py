"""Signed report links: one run's report, until the expiry, under the service's token."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlencode, urlsplit

from tutorloop.serve.report_links import REPORT_LINK_TTL_S, ReportLinks

TOKEN = "report-links-test-token-0123456789"


def _parts(url: str) -> tuple[str, dict[str, str]]:
    split = urlsplit(url)
    return split.path, {k: v[0] for k, v in parse_qs(split.query).items()}


def test_a_signed_link_opens_its_run_until_it_expires() -> None:
    links = ReportLinks(TOKEN)
    path, query = _parts(links.url("http://127.0.0.1:8080/", "evalrun_1"))
    assert path == "/v1/runs/evalrun_1/report"
    assert int(query["expires"]) > time.time() + REPORT_LINK_TTL_S - 60
    raw = urlencode(query).encode()
    assert links.is_signed(path, raw) and links.refusal(path, raw) is None
    later = time.time() + REPORT_LINK_TTL_S + 1
    assert "expired" in (links.refusal(path, raw, now=later) or "")


def test_altered_links_are_refused_with_the_reason() -> None:
    links = ReportLinks(TOKEN)
    path, query = _parts(links.url("http://h", "evalrun_1"))
    longer = urlencode({**query, "expires": str(int(query["expires"]) + 3600)}).encode()
    assert "does not match" in (links.refusal(path, longer) or "")
    other_run = "/v1/runs/evalrun_2/report"
    assert "does not match" in (links.refusal(other_run, urlencode(query).encode()) or "")
    assert "incomplete" in (links.refusal(path, b"signature=abc") or "")
    assert "does not match" in (
        ReportLinks(TOKEN + "x").refusal(path, urlencode(query).encode()) or ""
    )
    assert not links.is_signed("/v1/evals", urlencode(query).encode())
    assert not links.is_signed(path, b"expires=1")


def test_the_secret_is_never_shown() -> None:
    links = ReportLinks(TOKEN)
    assert TOKEN not in repr(links) and TOKEN not in links.url("http://h", "r1")
