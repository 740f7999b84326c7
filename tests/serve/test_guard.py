"""The guard against each attack: DNS rebinding, cross-site forms, credentials in URLs, weak
tokens, deep JSON, huge numbers, run hijacking, stalled bodies, malformed framing."""

from __future__ import annotations

import http.client
import io
import logging
import socket
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.serve.conftest import TOKEN, LiveService
from tutorloop._version import __version__
from tutorloop.errors import ConfigError
from tutorloop.records import RunManifest
from tutorloop.serve import ServeConfig, create_app
from tutorloop.serve.guard import json_problem
from tutorloop.serve.runner import QueryStripper, announce_token
from tutorloop.store import Store


def _error(reply: Any) -> dict[str, Any]:
    body = reply.json()
    assert set(body["error"]) >= {"message", "type", "param", "code"}
    error: dict[str, Any] = body["error"]
    return error


def test_without_a_token_the_service_makes_a_strong_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("TUTORLOOP_API_TOKEN", raising=False)
    first, second = create_app(ServeConfig()), create_app(ServeConfig())
    assert len(first.state.token) >= 40 and first.state.token != second.state.token
    out = io.StringIO()
    announce_token(ServeConfig(), first.state.token, out)
    shown = out.getvalue()
    assert f"Authorization: Bearer {first.state.token}" in shown
    assert "TUTORLOOP_API_TOKEN" in shown


def test_a_generated_token_guards_the_routes(live: LiveService) -> None:
    with live.client(auth=False) as anonymous:
        assert anonymous.get("/healthz").status_code == 200
        assert anonymous.get("/readyz").status_code == 200
        refused = anonymous.post("/", json="refusal-smoke")
        assert refused.status_code == 401
        assert _error(refused)["code"] == "invalid_api_key"


@pytest.mark.parametrize(
    ("host", "token", "refused"),
    [
        ("0.0.0.0", "x", True),
        ("0.0.0.0", "a" * 40, True),  # long but one character
        ("0.0.0.0", "short-Token-1", True),
        ("0.0.0.0", "kX9-vQ2_mL7pR4tZ8wN3bY6cF1", False),
        ("127.0.0.1", "x", False),  # loopback: the operator's own choice
        ("0.0.0.0", None, False),  # generated
    ],
)
def test_weak_tokens_are_refused_beyond_loopback(
    monkeypatch: pytest.MonkeyPatch, host: str, token: str | None, refused: bool
) -> None:
    if token is None:
        monkeypatch.delenv("TUTORLOOP_API_TOKEN", raising=False)
    else:
        monkeypatch.setenv("TUTORLOOP_API_TOKEN", token)
    config = ServeConfig(host=host)
    if refused:
        with pytest.raises(ConfigError, match="TUTORLOOP_API_TOKEN"):
            config.check_bind()
    else:
        config.check_bind()


def test_dns_rebinding_host_is_refused(make_service: Callable[..., LiveService]) -> None:
    service = make_service(allowed_hosts=["evals.example.org"])
    with service.client() as client:
        for host in ("attacker.example", "127.0.0.1.nip.io", "", "evals.example.org.evil"):
            reply = client.get("/v1/datasets", headers={"Host": host})
            assert reply.status_code == 421, host
            assert _error(reply)["code"] == "invalid_host"
        for host in ("localhost:8080", "127.0.0.1", "EVALS.example.org", "[::1]:80"):
            assert client.get("/v1/datasets", headers={"Host": host}).status_code == 200, host


def test_cross_site_forms_are_refused(live: LiveService) -> None:
    with live.client() as client:
        plain = client.post("/", content=b'"refusal-smoke"', headers={"content-type": "text/plain"})
        assert plain.status_code == 415
        assert _error(plain)["code"] == "unsupported_media_type"
        form = client.post("/v1/grade", files={"file": ("a.json", b"{}")})
        assert form.status_code == 415
        urlencoded = client.post("/v1/runs", data={"dataset": "study-mode"})
        assert urlencoded.status_code == 415
        json_file = client.post(
            "/v1/files", content=b"{}", headers={"content-type": "application/json"}
        )
        assert json_file.status_code == 415  # the Files API takes multipart only
    with live.client(auth=False) as anonymous:  # a cross-site form cannot send the header
        upload = anonymous.post(
            "/v1/files", files={"file": ("a.jsonl", b"{}")}, data={"purpose": "evals"}
        )
        assert upload.status_code == 401


def test_a_token_in_the_query_string_is_refused_and_not_logged(live: LiveService) -> None:
    with live.client() as client:
        for name in ("token", "api_key", "access_token"):
            reply = client.get(f"/v1/datasets?{name}={live.token}")
            assert reply.status_code == 400
            assert _error(reply)["code"] == "credential_in_query"
            assert live.token not in reply.text
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:1", "GET", f"/v1/datasets?token={TOKEN}", "1.1", 400), None,
    )  # fmt: skip
    assert QueryStripper().filter(record)
    assert TOKEN not in record.getMessage() and "/v1/datasets" in record.getMessage()


def test_deep_json_and_huge_numbers_are_400(live: LiveService) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    huge = '{"sessions": [' + "9" * 5000 + "]}"
    with live.client() as client:
        for path in ("/", "/v1/grade", "/v1/validate", "/v1/evals", "/v1/runs"):
            for body in (deep, huge):
                reply = client.post(
                    path, content=body.encode(), headers={"content-type": "application/json"}
                )
                assert reply.status_code == 400, (path, reply.text[:200])
                assert _error(reply)["code"] == "invalid_json"
        assert client.get("/healthz").status_code == 200


def test_json_problem_reads_strings_as_strings() -> None:
    assert json_problem(b'{"a": "[[[[[[[[[[[[[[[[[[[[[[[[[[\\"[[[["}', 4, 20) is None
    assert json_problem(b'{"a": "' + b"9" * 500 + b'"}', 4, 20) is None
    assert json_problem(b"[[[[[1]]]]]", 4, 20) is not None
    assert json_problem(b"[1e" + b"9" * 30 + b"]", 4, 20) is not None


def _cli_run(store_path: Any, run_id: str) -> None:
    manifest = RunManifest(
        run_id=run_id,
        kind="grade",
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        package_version=__version__,
    )
    with Store.open(store_path) as store:
        store.start_run(manifest)


def test_a_client_cannot_write_into_a_run_it_did_not_create(live: LiveService) -> None:
    assert live.config.store_path is not None
    _cli_run(live.config.store_path, "nightly")
    with live.client() as client:
        hijack = client.post("/v1/runs", json={"run_id": "nightly", "dataset": "study-mode"})
        assert hijack.status_code == 409
        assert _error(hijack)["code"] == "run_exists"
        started = client.post("/v1/runs", json={"run_id": "mine-1", "dataset": "study-mode"})
        assert started.status_code == 202
        again = client.post("/v1/runs", json={"run_id": "mine-1", "dataset": "study-mode"})
        assert again.status_code == 409  # nor into one made through the API: ids are not reused
        deadline = time.monotonic() + 60
        while (mine := client.get("/v1/runs/mine-1").json())["status"] != "completed":
            assert mine["status"] in ("queued", "running"), mine
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert mine["created_by"] == "api"
        assert client.get("/v1/runs/nightly").json()["created_by"] == "cli"
        for bad in ("../nightly", "a" * 81, "-x", "a b"):
            reply = client.post("/v1/runs", json={"run_id": bad, "dataset": "study-mode"})
            assert reply.status_code == 400, bad
        assert client.get("/v1/runs/..%2Fx").status_code in (400, 404)
        assert client.get("/v1/runs/" + "a" * 81).status_code == 400
        assert client.get("/v1/evals/a%20b/runs").status_code == 400
    with Store.open(live.config.store_path) as store:
        assert store.count_items("nightly").items == 0


def test_an_item_schema_with_a_regex_is_refused(live: LiveService) -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string", "pattern": "^(a+)+$"}}}
    body = {
        "name": "redos",
        "data_source_config": {"type": "custom", "item_schema": schema},
        "testing_criteria": [],
    }
    with live.client() as client:
        started = time.monotonic()
        reply = client.post("/v1/evals", json=body)
        assert time.monotonic() - started < 10
        assert reply.status_code == 400
        assert "pattern" in _error(reply)["message"]


def _raw(service: LiveService, data: bytes, wait_s: float = 10.0) -> bytes:
    with socket.create_connection(("127.0.0.1", service.port), timeout=wait_s) as sock:
        sock.sendall(data)
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except TimeoutError:
            pass
        return b"".join(chunks)


def test_a_stalled_body_is_dropped(make_service: Callable[..., LiveService]) -> None:
    service = make_service(body_timeout_s=0.5, min_body_rate=10**6)
    head = (
        "POST /v1/validate HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {service.token}\r\nContent-Type: application/json\r\n"
        "Content-Length: 1000\r\n\r\n{"
    )
    started = time.monotonic()
    answer = _raw(service, head.encode(), wait_s=30)
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert time.monotonic() - started < 20


def test_malformed_framing_is_4xx_without_a_traceback(
    live: LiveService, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for data in (
        b"GARBAGE\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: -5\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"GET /\x00 HTTP/1.1\r\n\r\n",
    ):
        answer = _raw(live, data, wait_s=5)
        assert answer == b"" or answer.split(b" ")[1].startswith(b"4"), answer[:100]
    assert "Traceback" not in caplog.text
    assert not [r for r in caplog.records if r.exc_info]


def test_a_stalled_request_head_is_dropped(make_service: Callable[..., LiveService]) -> None:
    service = make_service(head_timeout_s=0.5)
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", service.port), timeout=30) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: a")  # never ends
        assert sock.recv(65536) == b""  # closed by the service, without an answer
    assert time.monotonic() - started < 20
    with socket.create_connection(("127.0.0.1", service.port), timeout=30) as idle:
        assert idle.recv(65536) == b""  # a connection that never sends is closed too
    with service.client() as client:  # a prompt client is unaffected
        assert client.get("/healthz").status_code == 200


def test_a_head_past_the_size_bound_is_431_and_closed(live: LiveService) -> None:
    head = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    filler = b"".join(b"X-Pad-%d: %s\r\n" % (i, b"a" * 1000) for i in range(80))  # 80 KB
    answer = _raw(live, head + filler, wait_s=30)
    assert answer.startswith(b"HTTP/1.1 431"), answer[:200]
    assert b"connection: close" in answer
    ok = head + b"".join(b"X-Pad-%d: %s\r\n" % (i, b"a" * 1000) for i in range(40)) + b"\r\n"
    assert _raw(live, ok, wait_s=5).startswith(b"HTTP/1.1 200")  # 40 KB of headers is fine


def test_pipelined_requests_are_answered_in_order_and_the_head_deadline_spares_them(
    make_service: Callable[..., LiveService],
) -> None:
    service = make_service(head_timeout_s=0.5)
    one = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    with socket.create_connection(("127.0.0.1", service.port), timeout=30) as sock:
        sock.sendall(one * 3)
        seen = b""
        while seen.count(b"HTTP/1.1 200") < 3:
            chunk = sock.recv(65536)
            assert chunk, seen
            seen += chunk
        time.sleep(0.2)  # within the deadline, the connection stays open for a next request
        sock.sendall(one)
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")
        assert sock.recv(65536) == b""  # then, idle past the head deadline, it is closed


def test_max_connections_clients_are_served_at_once_and_one_more_is_503(
    make_service: Callable[..., LiveService],
) -> None:
    service = make_service(max_connections=3)
    held = [http.client.HTTPConnection("127.0.0.1", service.port, timeout=30) for _ in range(4)]
    try:
        for conn in held[:3]:  # three keep-alive connections, each asking twice
            for _ in range(2):
                conn.request("GET", "/healthz")
                reply = conn.getresponse()
                reply.read()
                assert reply.status == 200
        held[3].request("GET", "/healthz")
        reply = held[3].getresponse()
        reply.read()
        assert reply.status == 503
    finally:
        for conn in held:
            conn.close()
