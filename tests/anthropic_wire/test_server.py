"""The Anthropic fake refuses what the Messages API refuses, in the API's error shape."""

import json
import urllib.error
import urllib.request

import pytest

from tests.native_wire import Fault

HEADERS = {"content-type": "application/json", "anthropic-version": "2023-06-01"}
BODY = {"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}


def post(server, body=BODY, **headers):
    request = urllib.request.Request(
        f"{server.url}/v1/messages", json.dumps(body).encode(), {**HEADERS, **headers}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, dict(reply.headers), json.loads(reply.read())
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), json.loads(exc.read())


def test_a_call_answers_with_content_blocks_and_usage(anthropic_wire):
    status, _, body = post(anthropic_wire, **{"x-api-key": anthropic_wire.state.key})
    assert status == 200 and body["type"] == "message" and body["content"][0]["type"] == "text"
    assert body["usage"] == {"input_tokens": 1, "output_tokens": 5}


@pytest.mark.parametrize(
    ("headers", "body", "status", "kind"),
    [
        ({"x-api-key": "wrong"}, BODY, 401, "authentication_error"),
        ({"anthropic-version": ""}, BODY, 400, "invalid_request_error"),
        ({}, {**BODY, "max_tokens": None}, 400, "invalid_request_error"),
        ({}, {**BODY, "messages": [{"role": "assistant", "content": "x"}]}, 400,
         "invalid_request_error"),
    ],
)  # fmt: skip
def test_what_the_api_refuses(anthropic_wire, headers, body, status, kind):
    sent = {"x-api-key": anthropic_wire.state.key, **headers}
    got, _, error = post(anthropic_wire, body, **sent)
    assert got == status and error["type"] == "error" and error["error"]["type"] == kind


def test_a_rate_limit_carries_retry_after(anthropic_wire):
    anthropic_wire.state.push(Fault.rate_limit(2))
    status, headers, error = post(anthropic_wire, **{"x-api-key": anthropic_wire.state.key})
    assert status == 429 and headers["retry-after"] == "2"
    assert error["error"]["type"] == "rate_limit_error"
