"""The service's gate, as one ASGI middleware: every request is checked before a route sees it.

In order:

* **Host**: only the names the service serves (loopback names, the bind address and
  ``allowed_hosts``); others get 421. A web page that rebinds its DNS name to 127.0.0.1 sends
  its own name, so it is refused.
* **Auth**: every route but ``/healthz``, ``/readyz`` and the review app's login needs
  ``Authorization: Bearer <token>`` (compared in constant time) or, on the review app's routes,
  its session cookie; otherwise 401 (a review page sends the browser to its sign-in form
  instead). A reviewer's token reaches only the review routes, else 403
  (:mod:`tutorloop.serve.review.access`). The one asking is put on ``request.state.principal``.
  The one exception is ``GET /v1/runs/<id>/report`` with a signed, unexpired link
  (:mod:`.report_links`), so a run's ``report_url`` opens in a browser; a tampered or expired
  link gets 403. A credential in the query string is refused with 400 (query strings end up in
  logs and browser history).
* **Body type**: a ``POST``/``PUT``/``PATCH``/``DELETE`` body must be ``application/json``, but
  ``POST /v1/files`` takes ``multipart/form-data`` (as OpenAI's Files API) and the login form
  ``application/x-www-form-urlencoded``. Other bodies get 415, so a cross-site form cannot post
  to the service.
* **Size and time**: a ``Content-Length`` above the limit is refused with 413 before the body
  is read; a chunked body is counted as it streams. The body must arrive before a deadline
  (``body_timeout_s`` plus its size at ``min_body_rate``), else 408.
* **JSON shape**: a JSON body nested deeper than ``max_json_depth`` or with a number longer
  than ``max_json_number_chars`` is refused with 400 before any parser recurses into it.

Every answer is OpenAI's error JSON. The token is never logged or echoed.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl, urlencode

import anyio

from tutorloop.serve.errors import error_body
from tutorloop.serve.report_links import ReportLinks
from tutorloop.serve.review.access import COOKIE_NAME, Credentials, Principal, reviewer_may

__all__ = ["CREDENTIAL_PARAMS", "OPEN_PATHS", "Guard", "GuardLimits", "json_problem"]

log = logging.getLogger("tutorloop.serve")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

OPEN_PATHS = frozenset({"/healthz", "/readyz", "/review/login"})
"""Paths that answer without a token (liveness and readiness probes, the review app's login)."""

CREDENTIAL_PARAMS = frozenset(
    {"token", "access_token", "api_key", "apikey", "api-key", "key", "auth", "authorization",
     "bearer", "password", "secret"}
)  # fmt: skip
"""Query parameters refused as credentials in the URL."""

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_JSON_TYPES = frozenset({"application/json"})
_BODY_TYPES = {
    "/v1/files": frozenset({"multipart/form-data"}),
    "/review/login": frozenset({"application/x-www-form-urlencoded"}),
    "/v1/ingest": frozenset({"application/json", "application/x-ndjson", "application/jsonl"}),
}
_SCAN_ON_LOOP = 32 * 1024
"""Bodies the exact JSON-shape scan reads on the event loop (longer ones: in a thread)."""
_SURE_ON_LOOP = 256 * 1024
"""Bodies the quick JSON-shape check reads on the event loop (about 3 µs per KB)."""


class GuardLimits:
    """The guard's bounds (copied from :class:`~tutorloop.serve.config.ServeConfig`)."""

    def __init__(
        self,
        *,
        max_body_bytes: int,
        body_timeout_s: float = 30.0,
        min_body_rate: int = 64 * 1024,
        max_json_depth: int = 64,
        max_json_number_chars: int = 100,
    ) -> None:
        self.max_body_bytes = max_body_bytes
        self.body_timeout_s = body_timeout_s
        self.min_body_rate = min_body_rate
        self.max_json_depth = max_json_depth
        self.max_json_number_chars = max_json_number_chars


class _Refused(Exception):
    def __init__(self, status: int, message: str, code: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code


class Guard:
    """Host, auth, body type, size, time and JSON-shape checks in front of ``app``."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        credentials: Credentials,
        hosts: frozenset[str],
        limits: GuardLimits,
        report_links: ReportLinks,
    ) -> None:
        self.app = app
        self._credentials = credentials
        self.hosts = hosts
        self.limits = limits
        self.report_links = report_links

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the request, then pass it on (or answer with the refusal)."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            body = await self._check(scope, receive)
        except _Refused as refused:
            if refused.status == 401 and _review_page(scope):
                await _to_login(send, str(scope.get("path", "")))
            elif refused.status:  # 0: nobody to answer
                await _answer(send, refused.status, refused.message, refused.code)
            return
        started = False

        async def watched_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive if body is None else _replay(body, receive), watched_send)
        except Exception as exc:  # one line in the log, OpenAI's error JSON to the client
            log.error(
                "%s %s failed: %s", scope.get("method"), scope.get("path"), type(exc).__name__
            )
            if not started:
                message = "the service failed on this request; the log has its error type"
                await _answer(send, 500, message, "internal_error")

    async def _check(self, scope: Scope, receive: Receive) -> bytes | None:
        """The buffered body (None: no body to buffer); raises :class:`_Refused`."""
        headers: dict[bytes, bytes] = {}
        for name, value in scope.get("headers") or []:
            headers.setdefault(name, value)
        self._check_host(headers.get(b"host"))
        path = str(scope.get("path", ""))
        query = scope.get("query_string") or b""
        self._check_query(query)
        method = str(scope.get("method", "GET")).upper()
        if path not in OPEN_PATHS:
            bearer = self._credentials.from_header(headers.get(b"authorization"))
            if bearer is None and method == "GET" and self.report_links.is_signed(path, query):
                refused = self.report_links.refusal(path, query)
                if refused is not None:
                    raise _Refused(403, refused, "invalid_report_link")
            else:
                scope.setdefault("state", {})["principal"] = self._principal(headers, method, path)
        length = _content_length(headers)
        if length is not None and length > self.limits.max_body_bytes:
            raise _Refused(413, self._too_large(), "request_too_large")
        has_body = (length is not None and length > 0) or b"transfer-encoding" in headers
        if not has_body or method not in _BODY_METHODS:
            return None
        media = headers.get(b"content-type", b"").split(b";")[0].strip().lower().decode("latin-1")
        wanted = _BODY_TYPES.get(path, _JSON_TYPES)
        if media not in wanted:
            shown = " or ".join(sorted(wanted))
            raise _Refused(
                415,
                f"{method} {path} takes a body of type {shown}, not '{media or 'none'}': "
                'send it with "Content-Type: ' + sorted(wanted)[0] + '"',
                "unsupported_media_type",
            )
        body = await self._read(receive, length)
        if media in _JSON_TYPES:
            args = (body, self.limits.max_json_depth, self.limits.max_json_number_chars)
            if len(body) <= _SURE_ON_LOOP and _surely_fine(*args):
                problem = None
            elif len(body) > _SURE_ON_LOOP:  # both checks, beside the event loop
                problem = await anyio.to_thread.run_sync(json_problem, *args)
            elif len(body) > _SCAN_ON_LOOP:  # a long exact scan runs beside the event loop
                problem = await anyio.to_thread.run_sync(_exact_problem, *args)
            else:
                problem = _exact_problem(*args)
            if problem is not None:
                raise _Refused(400, problem, "invalid_json")
        return body

    def _check_host(self, host: bytes | None) -> None:
        name = _host_name(host)
        if name is None or name not in self.hosts:
            shown = "none" if host is None else repr(host.decode("latin-1")[:100])
            raise _Refused(
                421,
                f"this service does not serve the Host {shown}: use one of its names, or add "
                "the name to allowed_hosts in the service config (e.g. a proxy's public name)",
                "invalid_host",
            )

    def _check_query(self, query: bytes) -> None:
        if not query:
            return
        try:
            names = {k.lower() for k, _ in parse_qsl(query.decode("latin-1"), True)}
        except ValueError:
            return
        found = sorted(names & CREDENTIAL_PARAMS)
        if found:
            raise _Refused(
                400,
                f"credentials are not accepted in the query string ({found[0]}): send "
                "'Authorization: Bearer <token>' instead, and replace a token that was sent "
                "in a URL",
                "credential_in_query",
            )

    def _principal(self, headers: dict[bytes, bytes], method: str, path: str) -> Principal:
        """Who asks (bearer header, or the session cookie on review routes); raises if no one."""
        review_route = reviewer_may(method, path)
        principal = self._credentials.from_header(headers.get(b"authorization"))
        if principal is None and review_route:
            principal = self._credentials.from_cookie(_cookie(headers.get(b"cookie")))
        if principal is None:
            raise _Refused(
                401,
                "missing or wrong bearer token: send 'Authorization: Bearer <token>' with the "
                "token the service printed at start (or the one in TUTORLOOP_API_TOKEN)"
                + ("; or sign in at /review/login" if path.startswith("/review") else ""),
                "invalid_api_key",
            )
        if not principal.is_admin and not review_route:
            raise _Refused(
                403,
                f"a reviewer's token may read runs, use the review pages and write labels, not "
                f"{method} {path}: use the admin token (TUTORLOOP_API_TOKEN) for that",
                "forbidden",
            )
        return principal

    def _too_large(self) -> str:
        return (
            f"the request body is larger than the service's limit of "
            f"{self.limits.max_body_bytes} bytes (max_body_bytes): send less per request"
        )

    async def _read(self, receive: Receive, length: int | None) -> bytes:
        """The whole body, within the size limit and the deadline."""
        size = length if length is not None else self.limits.max_body_bytes
        deadline = self.limits.body_timeout_s + size / self.limits.min_body_rate
        chunks: list[bytes] = []
        seen = 0
        with anyio.move_on_after(deadline) as scope:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":  # gone, or framing uvicorn refused
                    raise _Refused(0, "the client disconnected", "disconnected")
                chunk = message.get("body", b"")
                seen += len(chunk)
                if seen > self.limits.max_body_bytes:
                    raise _Refused(413, self._too_large(), "request_too_large")
                chunks.append(chunk)
                if not message.get("more_body", False):
                    break
        if scope.cancelled_caught:
            raise _Refused(
                408,
                f"the request body did not arrive within {deadline:.0f} seconds: send it faster",
                "request_timeout",
            )
        return b"".join(chunks)


_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)
"""A JSON string, escapes and an unterminated end included."""
_BRACKET = re.compile(rb"[\[\]{}]")
_NUMBERS_AS_ZERO = bytes(0x30 if b in b"-+.eE0123456789" else 0x20 for b in range(256))
"""Every character a JSON number is written with becomes ``0``, every other one a space."""
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'"[]{}')
_AS_PARENS = bytes.maketrans(b"[]{}", b"()()")
_PLAIN_STRING = re.compile(rb'"[^"]*"?')
"""A string once its escapes are gone (an unterminated end included)."""


@functools.lru_cache(maxsize=8)
def _number_run(longer_than: int) -> re.Pattern[bytes]:
    return re.compile(rb"[-+.eE0-9]{%d}" % (longer_than + 1))


def json_problem(body: bytes, max_depth: int, max_number_chars: int) -> str | None:
    """Why a JSON body is refused before parsing (too deep, a huge number), else None.

    A linear scan that never recurses: strings are blanked (so nothing inside them counts),
    then the brackets are counted (walked in order only when there are more openings than
    ``max_depth``) and a run of number characters longer than ``max_number_chars`` is searched;
    the first problem in the body is named. Text that is not JSON is left to the parser.
    """
    if _surely_fine(body, max_depth, max_number_chars):
        return None
    return _exact_problem(body, max_depth, max_number_chars)


def _exact_problem(body: bytes, max_depth: int, max_number_chars: int) -> str | None:
    """:func:`json_problem` by the exact scan alone (strings blanked, brackets walked)."""
    bare = _STRING.sub(b'""', body) if b'"' in body else body
    deep = _too_deep(bare, max_depth)
    number = _number_run(max_number_chars).search(bare)
    if deep is not None and (number is None or deep < number.start()):
        return f"the JSON body is nested deeper than {max_depth} levels: send flatter data"
    if number is not None:
        return (
            f"the JSON body has a number longer than {max_number_chars} characters: "
            "send it as a string"
        )
    return None


def _surely_fine(body: bytes, max_depth: int, max_number_chars: int) -> bool:
    """True when ``body`` can have no problem, decided by whole-bytes operations alone.

    No run of number characters anywhere is longer than allowed (strings included, so none
    outside them is), and the brackets outside strings nest at most ``max_depth`` deep: escaped
    backslashes removed, strings hold no quote, so they are cut out of the brackets and quotes
    left, and removing each innermost pair empties what remains within ``max_depth`` passes.
    An escaped quote, or anything else in doubt, answers False: the exact scan decides (about
    eight times slower; this one costs about 3 µs per KB).
    """
    if b"0" * (max_number_chars + 1) in body.translate(_NUMBERS_AS_ZERO):
        return False
    if body.count(b"[") + body.count(b"{") <= max_depth:
        return True
    plain = body.replace(b"\\\\", b"") if b"\\\\" in body else body
    if b'\\"' in plain:
        return False
    marks = plain.translate(None, _NOT_STRUCTURE).replace(b'""', b"")
    if b'"' in marks:
        marks = _PLAIN_STRING.sub(b"", marks)
    brackets = marks.translate(_AS_PARENS)
    for _ in range(max_depth):
        if not brackets:
            return True
        brackets = brackets.replace(b"()", b"")
    return not brackets


def _too_deep(bare: bytes, max_depth: int) -> int | None:
    """Where ``bare`` (strings blanked) first nests deeper than ``max_depth``, if it does."""
    if bare.count(b"[") + bare.count(b"{") <= max_depth:
        return None
    depth = 0
    for bracket in _BRACKET.finditer(bare):
        if bracket.group() in (b"[", b"{"):
            depth += 1
            if depth > max_depth:
                return bracket.start()
        else:
            depth -= 1
    return None


def _content_length(headers: dict[bytes, bytes]) -> int | None:
    value = headers.get(b"content-length")
    if value is None:
        return None
    if not value.isdigit():
        raise _Refused(400, "the Content-Length header is not a number", "invalid_request")
    return int(value)


def _host_name(host: bytes | None) -> str | None:
    """``Host`` without its port, lower case (None: missing or malformed)."""
    if host is None:
        return None
    try:
        text = host.decode("ascii").strip().lower()
    except UnicodeDecodeError:
        return None
    if text.startswith("["):
        end = text.find("]")
        return text[: end + 1] if end > 0 else None
    name, _, port = text.partition(":")
    if port and not port.isdigit():
        return None
    return name or None


def _cookie(header: bytes | None) -> str | None:
    """The review session cookie's value in a ``Cookie`` header, if any."""
    if not header:
        return None
    for part in header.decode("latin-1").split(";"):
        name, _, value = part.strip().partition("=")
        if name == COOKIE_NAME:
            return value.strip()
    return None


def _review_page(scope: Scope) -> bool:
    """A browser asking for a review page (not its script) without being signed in."""
    path = str(scope.get("path", ""))
    page = path == "/review" or (path.startswith("/review/") and "/static/" not in path)
    return page and str(scope.get("method", "")).upper() in ("GET", "HEAD")


async def _to_login(send: Send, path: str) -> None:
    """Send the browser to the sign-in form, to come back to ``path`` after."""
    location = "/review/login?" + urlencode({"next": path})
    headers = [(b"location", location.encode("latin-1")), (b"content-length", b"0")]
    await send({"type": "http.response.start", "status": 303, "headers": headers})
    await send({"type": "http.response.body", "body": b""})


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


async def _answer(send: Send, status: int, message: str, code: str) -> None:
    """Send the error; a connection the server has already answered and closed is left be."""
    try:
        await _send_error(send, status, message, code)
    except Exception as exc:  # e.g. h11 refused the framing and answered 400 itself
        log.debug("no answer sent (%s): the connection is closed", type(exc).__name__)


async def _send_error(send: Send, status: int, message: str, code: str) -> None:
    body = json.dumps(error_body(message, code=code)).encode("utf-8")
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode("ascii")),
    ]
    if status == 401:
        headers.append((b"www-authenticate", b"Bearer"))
    if status in (400, 408, 413, 415, 421):
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
