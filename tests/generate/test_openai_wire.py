"""The lean path sends what the SDK sends: the same body bytes and the same headers."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from tutorloop.generate import GenerateRequest, Message, ProviderSettings
from tutorloop.generate.providers.openai import OpenAIProvider

CHAT_REPLY = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 0,
    "model": "m",
    "choices": [
        {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "hé"}}
    ],
    "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
}
RESPONSES_REPLY = {
    "id": "resp-1",
    "object": "response",
    "created_at": 0,
    "model": "m",
    "status": "completed",
    "output": [
        {
            "type": "message",
            "id": "msg-1",
            "role": "assistant",
            "status": "completed",
            "content": [
                {"type": "output_text", "text": "h", "annotations": []},
                {"type": "output_text", "text": "é", "annotations": []},
            ],
        }
    ],
    "parallel_tool_calls": True,
    "tool_choice": "auto",
    "tools": [],
    "usage": {
        "input_tokens": 3,
        "output_tokens": 1,
        "total_tokens": 4,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens_details": {"reasoning_tokens": 0},
    },
}

SCHEMA = {"type": "json_schema", "json_schema": {"name": "s", "schema": {"type": "object"}}}
REQUESTS = {
    "plain": GenerateRequest(model="openai/m", messages=(Message(role="user", content="hi"),)),
    "every option": GenerateRequest(
        model="openai/m",
        messages=(
            Message(role="system", content="Be brief — «vraiment» 😀"),
            Message(role="user", content='a "quoted"\nline\tand \\ slash'),
            Message(role="assistant", content="ok"),
            Message(role="user", content="ünïcode"),
        ),
        temperature=0.25,
        top_p=0.5,
        max_output_tokens=64,
        seed=7,
        response_format=SCHEMA,
    ),
}


class Capture:
    """A local HTTP/1.1 server that records each request's head and body, and answers."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, list[tuple[str, str]], bytes]] = []
        self.server: asyncio.Server | None = None

    async def start(self) -> str:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/v1"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                line, *fields = head.decode("latin-1").split("\r\n")[:-2]
                headers = [tuple(f.split(": ", 1)) for f in fields]
                length = next(int(v) for k, v in headers if k.lower() == "content-length")
                body = await reader.readexactly(length)
                path = line.split(" ")[1]
                self.requests.append((line, headers, body))  # type: ignore[arg-type]
                reply = CHAT_REPLY if path.endswith("/chat/completions") else RESPONSES_REPLY
                data = json.dumps(reply).encode("utf-8")
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    + f"Content-Length: {len(data)}\r\n\r\n".encode()
                    + data
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()


async def both_ways(api: str, request: GenerateRequest) -> tuple[Any, Any, list[Any]]:
    capture = Capture()
    url = await capture.start()
    answers = []
    try:
        for lean in (True, False):
            provider = OpenAIProvider(ProviderSettings(base_url=url, api=api), timeout_s=30)
            assert provider._wire is not None
            if not lean:  # the SDK's own path, over the same aiohttp transport
                await provider._wire.aclose()
                provider._wire = None
            try:
                answers.append(await provider.generate(request, "m"))
            finally:
                await provider.aclose()
    finally:
        await capture.stop()
    lean_request, sdk_request = capture.requests
    return lean_request, sdk_request, answers


@pytest.mark.parametrize("shape", list(REQUESTS))
@pytest.mark.parametrize("api", ["chat", "responses"])
def test_the_lean_path_sends_the_sdks_bytes(monkeypatch, api, shape):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-" + "capture-0000")
    lean, sdk, answers = asyncio.run(both_ways(api, REQUESTS[shape]))
    assert lean[0] == sdk[0]  # method, path, HTTP version
    assert lean[2] == sdk[2]  # the body, byte for byte
    lean_headers = {k.lower(): v for k, v in lean[1]}
    sdk_headers = {k.lower(): v for k, v in sdk[1]}
    # every header, the SDK's retry count and read timeout included, is the same
    assert lean_headers == sdk_headers
    assert lean_headers["authorization"] == "Bearer sk-capture-0000"
    assert answers[0] == answers[1]
    assert answers[0].text == "hé" and answers[0].usage.input_tokens == 3
