"""10,000 fuzzed requests against a live service: never a 5xx, never a traceback in the log."""

from __future__ import annotations

import json
import logging
import random
import string
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx2 as httpx
import pytest

from tests.serve.conftest import LiveService

REQUESTS = 10_000
SEED = 20_240_611
ROUTES = [
    "/", "/dataset", "/datasets", "/assert", "/validate", "/healthz", "/readyz",
    "/v1/grade", "/v1/validate", "/v1/datasets", "/v1/runs", "/v1/runs/{id}",
    "/v1/runs/{id}/report", "/v1/files", "/v1/files/{id}", "/v1/evals", "/v1/evals/{id}",
    "/v1/evals/{id}/runs", "/v1/evals/{id}/runs/{id}", "/v1/evals/{id}/runs/{id}/cancel",
    "/v1/evals/{id}/runs/{id}/output_items", "/v1/evals/{id}/runs/{id}/output_items/{id}",
    "/nope", "/v1", "/v1/",
]  # fmt: skip
METHODS = ["GET", "POST", "POST", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]
KEYS = [
    "sessions", "trajectory", "role", "content", "session_id", "metadata", "dataset", "run_id",
    "replay", "model", "conditions", "name", "data_source_config", "item_schema", "type",
    "testing_criteria", "data_source", "source", "content", "item", "sample", "input",
    "reference", "operation", "purpose", "file", "limit", "after", "order",
]  # fmt: skip
CONTENT_TYPES = [
    "application/json", "application/json; charset=utf-8", "text/plain",
    "multipart/form-data; boundary=x", "application/x-www-form-urlencoded", "", "APPLICATION/JSON",
]  # fmt: skip


def _text(rng: random.Random) -> str:
    alphabet = string.printable + "\u00e9\u4e2d\U0001f600\x00"
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))


def _ident(rng: random.Random) -> str:
    choices = [
        "evalrun_abc", "eval_1", "file-x", "a" * 81, "..", "%2e%2e", "x%20y", "%00", "nightly",
        quote(_text(rng), safe="") or "z",
    ]  # fmt: skip
    return rng.choice(choices)


def _value(rng: random.Random, depth: int) -> Any:
    kind = rng.randint(0, 9 if depth < 4 else 5)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice([0, -1, 2**31, 10**30, 1.5, -0.0, 1e308])
    if kind in (3, 4, 5):
        return rng.choice([_text(rng), rng.choice(KEYS), "user", "assistant", "{{ item.x }}"])
    if kind in (6, 7):
        return [_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {rng.choice(KEYS): _value(rng, depth + 1) for _ in range(rng.randint(0, 5))}


def _body(rng: random.Random) -> bytes | None:
    kind = rng.randint(0, 9)
    if kind == 0:
        return None
    if kind in (1, 2, 3, 4):
        return json.dumps(_value(rng, 0)).encode()
    if kind == 5:
        return bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 64)))
    if kind == 6:
        depth = rng.choice([10, 70, 5000])
        return ("[" * depth + "]" * depth).encode()
    if kind == 7:
        return ("[" + "9" * rng.choice([50, 200, 5000]) + "]").encode()
    if kind == 8:
        return json.dumps(_value(rng, 0))[: rng.randint(0, 20)].encode()  # truncated
    return b'{"sessions": [' + b",".join([b'{"x": 1}'] * rng.randint(1, 300)) + b"]}"


def _request(rng: random.Random, token: str) -> dict[str, Any]:
    path = rng.choice(ROUTES)
    while "{id}" in path:
        path = path.replace("{id}", _ident(rng), 1)
    if rng.random() < 0.1:
        path += "?" + rng.choice(["limit=0", "limit=abc", "order=up", "after=", "token=t", "a=%ff"])
    headers: dict[str, Any] = {}
    roll = rng.random()
    if roll < 0.85:
        headers["Authorization"] = f"Bearer {token}"
    elif roll < 0.9:
        garbage = "".join(c for c in _text(rng) if c.isprintable()).encode().decode("latin-1")
        headers["Authorization"] = rng.choice(["Bearer", "Basic abc", "Bearer x" + garbage.strip()])
    if rng.random() < 0.05:
        headers["Host"] = rng.choice(["evil.example", "localhost", "[::1]", "a:b:c"])
    body = _body(rng)
    content_type = "application/json" if rng.random() < 0.6 else rng.choice(CONTENT_TYPES)
    if content_type:
        headers["Content-Type"] = content_type
    headers = {k: v.encode("latin-1") for k, v in headers.items()}
    return {"method": rng.choice(METHODS), "url": path, "headers": headers, "content": body}


@pytest.mark.timeout(600)
def test_ten_thousand_fuzzed_requests_never_get_a_5xx(
    make_service: Callable[..., LiveService], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    service = make_service(max_body_bytes=64 * 1024)
    rng = random.Random(SEED)
    statuses: dict[int, int] = {}
    failures: list[str] = []
    with httpx.Client(base_url=service.url, timeout=60) as client:
        for _ in range(REQUESTS):
            request = _request(rng, service.token)
            try:
                reply = client.request(**request)
            except httpx.HTTPError as exc:  # the service may close a refused connection
                statuses[0] = statuses.get(0, 0) + 1
                if not isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError):
                    failures.append(f"{request['method']} {request['url']}: {exc!r}")
                continue
            statuses[reply.status_code] = statuses.get(reply.status_code, 0) + 1
            if reply.status_code >= 500:
                failures.append(f"{request['method']} {request['url']}: {reply.text[:300]}")
    print("statuses:", dict(sorted(statuses.items())))
    assert sum(statuses.values()) == REQUESTS
    assert not failures, failures[:10]
    logged = [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert not logged, [r.getMessage() for r in logged[:5]]
    assert "Traceback" not in caplog.text
