"""Who is asking: the admin token, a reviewer's token, or a review-app session cookie.

Two roles. The **admin** token (``$TUTORLOOP_API_TOKEN``) may do everything. A **reviewer**
token (``$TUTORLOOP_REVIEWER_TOKENS``: ``name=token`` pairs, comma-separated) may read runs and
their reports, use the review pages and read and write labels, nothing else; its labels carry the
reviewer's name, which the reviewer cannot change.

The review pages also accept a session cookie that ``POST /review/login`` sets after checking a
token typed into its form (never a token in the URL). The cookie holds the name, role and expiry,
signed with a key derived from the admin token (HMAC-SHA256): it survives a restart, and changing
the admin token ends every session. It is ``HttpOnly`` and ``SameSite=Strict``, and every write
still needs a JSON body, so another site can neither read it nor post with it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from dataclasses import dataclass
from typing import Literal

Role = Literal["admin", "reviewer"]

COOKIE_NAME = "tutorloop_session"
SESSION_SECONDS = 12 * 3600
"""How long a review-app session lasts."""

_REVIEWER_ROUTES = (
    ("GET", re.compile(r"/v1/runs(/[^/]+(/report)?)?")),
    ("GET", re.compile(r"/v1/labels")),
    ("POST", re.compile(r"/v1/labels")),
    ("GET", re.compile(r"/v1/review/(queue|runs)")),
    ("GET", re.compile(r"/review(/.*)?")),
    ("POST", re.compile(r"/review/(login|logout)")),
)


@dataclass(frozen=True)
class Principal:
    """The one asking: a name and a role."""

    name: str
    role: Role

    @property
    def is_admin(self) -> bool:
        """Whether every route is open to them."""
        return self.role == "admin"


ADMIN = Principal("admin", "admin")


def reviewer_may(method: str, path: str) -> bool:
    """Whether a reviewer may call ``method path`` (runs read-only, review pages, labels)."""
    method = "GET" if method == "HEAD" else method
    return any(m == method and pattern.fullmatch(path) for m, pattern in _REVIEWER_ROUTES)


class Credentials:
    """The admin token and the reviewers' tokens, compared in constant time."""

    def __init__(self, admin_token: str, reviewers: dict[str, str] | None = None) -> None:
        if not admin_token:
            raise ValueError("the service needs an admin token")
        self._admin = admin_token.encode("utf-8")
        self._reviewers = {name: t.encode("utf-8") for name, t in (reviewers or {}).items()}
        self._cookie_key = hmac.new(self._admin, b"tutorloop review session", "sha256").digest()

    def from_token(self, token: bytes) -> Principal | None:
        """The principal a bearer token belongs to (None: no one)."""
        found: Principal | None = None
        if hmac.compare_digest(token, self._admin):
            found = ADMIN
        for name, secret in self._reviewers.items():  # every comparison runs, found or not
            if hmac.compare_digest(token, secret):
                found = found or Principal(name, "reviewer")
        return found

    def from_header(self, header: bytes | None) -> Principal | None:
        """The principal an ``Authorization: Bearer`` header names."""
        if not header:
            return None
        scheme, _, given = header.partition(b" ")
        if scheme.lower() != b"bearer":
            return None
        return self.from_token(given.strip())

    def session_cookie(self, principal: Principal, now: float | None = None) -> str:
        """A signed cookie value for ``principal``, valid for :data:`SESSION_SECONDS`."""
        expires = int((now or time.time()) + SESSION_SECONDS)
        payload = f"{principal.role}:{expires}:{principal.name}".encode()
        body = base64.urlsafe_b64encode(payload).decode("ascii").rstrip("=")
        return f"{body}.{self._sign(body)}"

    def from_cookie(self, value: str | None, now: float | None = None) -> Principal | None:
        """The principal of a valid, unexpired session cookie (None otherwise)."""
        if not value or "." not in value:
            return None
        body, _, signature = value.rpartition(".")
        if not hmac.compare_digest(signature, self._sign(body)):
            return None
        try:
            payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode("utf-8")
            role, expires, name = payload.split(":", 2)
            if int(expires) < (now or time.time()):
                return None
        except ValueError:
            return None
        if role == "admin" and name == ADMIN.name:
            return ADMIN
        if role == "reviewer" and name in self._reviewers:
            return Principal(name, "reviewer")
        return None

    def _sign(self, body: str) -> str:
        digest = hmac.new(self._cookie_key, body.encode("ascii"), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def parse_reviewers(text: str) -> dict[str, str]:
    """``name=token`` pairs, comma-separated, as a dict.

    Raises:
        ValueError: a pair without ``=``, an empty or repeated name, or an empty token.
    """
    reviewers: dict[str, str] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        name, sep, token = part.partition("=")
        name, token = name.strip(), token.strip()
        if not sep or not name or not token:
            raise ValueError("write each reviewer as name=token, comma-separated")
        if not re.fullmatch(r"[A-Za-z0-9_.@-]{1,64}", name):
            raise ValueError(f"reviewer name {name!r}: use letters, digits, _ . @ - (64 at most)")
        if name in reviewers or name == ADMIN.name:
            raise ValueError(f"reviewer name {name!r} is used twice (or is 'admin')")
        reviewers[name] = token
    return reviewers
