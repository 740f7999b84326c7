"""Small production sessions for the watch tests: a tutor that probes, or one that answers early."""

from __future__ import annotations

import hmac
import json
import threading
from hashlib import sha256
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

T0 = 1_800_000_000.0
"""The first session's time (epoch seconds)."""


def session(
    session_id: str, at: float, *, early: bool = False, model: str = "tutor-a", **meta: Any
) -> dict[str, Any]:
    """A short math session at time ``at``; ``early``: the tutor reveals the answer at turn 1."""
    opening = (
        "The answer is x = 4: subtract 3, then divide by 2."
        if early
        else "What have you tried so far?"
    )
    return {
        "session_id": session_id,
        "domain": "math",
        "metadata": {"timestamp": at, "model": model, **meta},
        "trajectory": [
            {"role": "user", "content": "How do I solve 2x + 3 = 11?"},
            {"role": "assistant", "content": opening},
            {"role": "user", "content": "Subtract 3 from both sides?"},
            {"role": "assistant", "content": "Yes. Now what do you get on each side?"},
        ],
    }


def line(record: dict[str, Any]) -> str:
    """One JSONL line."""
    return json.dumps(record) + "\n"


class Receiver:
    """A webhook receiver on 127.0.0.1 (http.server in a thread) that keeps what it is sent.

    ``down`` makes it answer 503, as a receiver that is down for maintenance would.
    """

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.down = False
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if receiver.down:
                    self.send_response(503)
                    self.end_headers()
                    return
                receiver.received.append((dict(self.headers.items()), body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def valid(self, headers: dict[str, str], body: bytes) -> bool:
        """Whether the signature header is the HMAC-SHA256 of ``body`` under the secret."""
        expected = "sha256=" + hmac.new(self.secret.encode(), body, sha256).hexdigest()
        return hmac.compare_digest(headers.get("X-Tutorloop-Signature", ""), expected)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
