"""``ServerState``: the scripted behaviour and counters of one server."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any, Final

from .faults import Fault, Reply
from .request_text import Responder, default_responder

__all__ = ["DEFAULT_MODELS", "ServerState"]

DEFAULT_MODELS: Final = ("gpt-4o-mini", "gpt-4.1-mini", "gpt-5-mini")
"""Model ids listed by ``GET /v1/models`` by default."""

_SECRET_HEADERS: Final = frozenset({"authorization", "api-key"})


class ServerState:
    """Scripted behaviour and counters of one server, shared with the test thread.

    Every mutation goes through ``lock`` (a :class:`threading.Lock`): the app runs on the
    uvicorn thread while tests script and read it from their own thread. Plain attribute
    writes (``state.latency_s = 0.2``) are fine too.

    Attributes:
        latency_s: Seconds slept before handling each ``/v1`` request.
        responder: Computes the reply text when no scripted reply is queued.
        required_key: When set, any other bearer key gets a 401.
        models: Model ids listed by ``GET /v1/models``.
        replies: Scripted replies, consumed in order by successful chat/responses calls.
        faults: Queued faults, consumed one per ``/v1`` request.
        requests: Number of ``/v1`` requests received (including failed ones).
        by_path: Requests per path.
        log: One dict per request: ``path``, ``method``, ``model``, ``messages`` / ``input``,
            ``instructions``, ``body`` (the parsed JSON), ``headers`` (lower-cased, without
            ``authorization`` / ``api-key``), ``auth_present`` and ``fault`` (kind or None).
        in_flight: Requests currently being handled.
        peak_in_flight: Highest ``in_flight`` seen since the last reset.
        client_disconnects: Requests whose client went away during a sleep.
        last_auth_present: Whether the last request carried an ``Authorization`` header
            (None before the first request). The header value itself is never stored.
        evals: Hosted eval objects by id (``GET /v1/evals/{id}``), as the API returns them.
        eval_runs: Runs of each eval id, oldest first (``GET /v1/evals/{id}/runs``).
        eval_output_items: Output items of each run id, in order
            (``GET /v1/evals/{id}/runs/{run_id}/output_items``).

    Hosted Evals writes (:mod:`tests.openai_wire.hosted_evals_write`): ``POST /v1/files``,
    ``POST /v1/evals`` and ``POST /v1/evals/{id}/runs`` store into ``files`` /
    ``file_contents``, ``evals`` and ``eval_runs``; a created run is graded at once (each
    item's sample comes from ``responder``) and kept in ``run_progress`` until it finishes.

    Attributes:
        files: Uploaded ``file`` objects by id.
        file_contents: The bytes of each uploaded file, by id.
        run_progress: Per created run id: ``polls`` so far, the ``result_counts`` it will
            report, its ``output_items`` and ``per_testing_criteria_results``.
        run_polls_to_finish: Retrieves of a created run before it reports its final status
            (default 1: the first poll sees it finished; before that it is ``in_progress``).
        run_final_status: The status a created run ends with (``completed``, ``failed``,
            ``canceled``); a ``failed`` run carries an ``error`` and zero counts.
        run_never_finishes: Created runs stay ``in_progress`` forever (client timeouts).
        run_zero_items: Created runs finish ``completed`` with every count 0.
        hosted_errors: Operation → HTTP status to answer with on every such request, for
            ``files.create``, ``evals.create``, ``runs.create`` and ``runs.retrieve`` (after
            the key check; unlike faults they are not consumed, so SDK retries see them too).
    """

    def __init__(
        self,
        *,
        latency_s: float = 0.0,
        responder: Responder | None = None,
        required_key: str | None = None,
        models: Sequence[str] = DEFAULT_MODELS,
    ) -> None:
        self.lock = threading.Lock()
        self._initial: tuple[float, Responder, str | None] = (
            latency_s,
            responder or default_responder,
            required_key,
        )
        self.latency_s = latency_s
        self.responder: Responder = responder or default_responder
        self.required_key = required_key
        self.models: tuple[str, ...] = tuple(models)
        self.replies: list[Reply] = []
        self.faults: list[Fault] = []
        self.requests = 0
        self.by_path: Counter[str] = Counter()
        self.log: list[dict[str, Any]] = []
        self.in_flight = 0
        self.peak_in_flight = 0
        self.client_disconnects = 0
        self.last_auth_present: bool | None = None
        self.evals: dict[str, dict[str, Any]] = {}
        self.eval_runs: dict[str, list[dict[str, Any]]] = {}
        self.eval_output_items: dict[str, list[dict[str, Any]]] = {}
        self.files: dict[str, dict[str, Any]] = {}
        self.file_contents: dict[str, bytes] = {}
        self.run_progress: dict[str, dict[str, Any]] = {}
        self._reset_hosted_knobs()

    def _reset_hosted_knobs(self) -> None:
        self.run_polls_to_finish = 1
        self.run_final_status = "completed"
        self.run_never_finishes = False
        self.run_zero_items = False
        self.hosted_errors: dict[str, int] = {}

    # -- scripting (test side) ---------------------------------------------------------

    def push_replies(self, *replies: Reply | str) -> None:
        """Queue replies; a plain string is shorthand for ``Reply(text=...)``."""
        items = [Reply(text=r) if isinstance(r, str) else r for r in replies]
        with self.lock:
            self.replies.extend(items)

    def push_faults(self, *faults: Fault) -> None:
        """Queue faults; each is consumed by one ``/v1`` request, in order."""
        with self.lock:
            self.faults.extend(faults)

    def reset(self) -> None:
        """Clear script, faults and counters; restore latency, responder and required key.

        ``in_flight`` is kept (those requests are still running) and ``peak_in_flight``
        restarts from it.
        """
        with self.lock:
            self.latency_s, self.responder, self.required_key = self._initial
            self.replies.clear()
            self.faults.clear()
            self.requests = 0
            self.by_path.clear()
            self.log.clear()
            self.peak_in_flight = self.in_flight
            self.client_disconnects = 0
            self.last_auth_present = None
            self.evals.clear()
            self.eval_runs.clear()
            self.eval_output_items.clear()
            self.files.clear()
            self.file_contents.clear()
            self.run_progress.clear()
            self._reset_hosted_knobs()

    def stats(self) -> dict[str, Any]:
        """A JSON-ready snapshot of the counters (what ``GET /_stats`` returns)."""
        with self.lock:
            return {
                "requests": self.requests,
                "peak_in_flight": self.peak_in_flight,
                "in_flight": self.in_flight,
                "by_path": dict(self.by_path),
                "client_disconnects": self.client_disconnects,
                "faults_pending": len(self.faults),
                "replies_pending": len(self.replies),
            }

    # -- serving (app side) ------------------------------------------------------------

    def begin_request(
        self, path: str, method: str, body: dict[str, Any] | None, headers: Mapping[str, str]
    ) -> dict[str, Any]:
        """Count and log a request, mark it in flight, and return its (mutable) log entry."""
        auth_present = "authorization" in headers
        entry: dict[str, Any] = {
            "path": path,
            "method": method,
            "model": body.get("model") if body else None,
            "body": body,
            "headers": {k: v for k, v in headers.items() if k.lower() not in _SECRET_HEADERS},
            "auth_present": auth_present,
            "fault": None,
        }
        if body is not None:
            for key in ("messages", "input", "instructions"):
                if key in body:
                    entry[key] = body[key]
        with self.lock:
            self.requests += 1
            self.by_path[path] += 1
            self.log.append(entry)
            self.last_auth_present = auth_present
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        return entry

    def finish_request(self) -> None:
        """Mark a request begun with :meth:`begin_request` as finished."""
        with self.lock:
            self.in_flight -= 1

    def note_disconnect(self) -> None:
        """Count a client that went away before its reply."""
        with self.lock:
            self.client_disconnects += 1

    def take_fault(self) -> Fault | None:
        """Pop the next queued fault, if any."""
        with self.lock:
            return self.faults.pop(0) if self.faults else None

    def next_reply_text(self, body: dict[str, Any]) -> str:
        """Pop the next scripted reply's content, or compute one with ``responder``."""
        with self.lock:
            scripted = self.replies.pop(0) if self.replies else None
            responder = self.responder
        if scripted is not None:
            return scripted.content()
        return responder(body)
