"""The Gemini fake refuses what the Gemini API refuses, in the API's error shape."""

import json
import urllib.error
import urllib.request

import pytest

from tests.native_wire import Fault

BODY = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}


def post(server, body=BODY, key=None):
    request = urllib.request.Request(
        f"{server.url}/v1beta/models/gemini-test:generateContent",
        json.dumps(body).encode(),
        {"content-type": "application/json", "x-goog-api-key": key or server.state.key},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, dict(reply.headers), json.loads(reply.read())
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), json.loads(exc.read())


def test_a_call_answers_with_a_candidate_and_usage(google_wire):
    status, _, body = post(google_wire)
    assert status == 200 and body["candidates"][0]["content"]["role"] == "model"
    assert body["usageMetadata"]["promptTokenCount"] == 1
    assert body["modelVersion"] == "gemini-test"


@pytest.mark.parametrize(
    ("body", "key"),
    [
        (BODY, "wrong"),
        ({"contents": []}, None),
        ({"contents": [{"role": "model", "parts": [{"text": "x"}]}]}, None),
        ({"contents": [{"role": "assistant", "parts": [{"text": "x"}]}]}, None),
    ],
)
def test_what_the_api_refuses(google_wire, body, key):
    status, _, error = post(google_wire, body, key)
    assert status == 400 and error["error"]["status"] == "INVALID_ARGUMENT"


def test_a_rate_limit_carries_retry_after(google_wire):
    google_wire.state.push(Fault.rate_limit(3))
    status, headers, error = post(google_wire)
    assert status == 429 and {k.lower(): v for k, v in headers.items()}["retry-after"] == "3"
    assert error["error"]["status"] == "RESOURCE_EXHAUSTED"
