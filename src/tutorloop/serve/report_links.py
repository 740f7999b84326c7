"""Signed, expiring ``report_url`` links: a run's HTML report opens in a browser without a token.

A browser sends no ``Authorization`` header, so the OpenAI-Evals run objects carry a
``report_url`` of the form ``/v1/runs/<run id>/report?expires=<unix seconds>&signature=<hex>``.
The signature is an HMAC-SHA256 over the run id and the expiry, keyed with a secret derived
from the service's bearer token (never logged, never sent). The guard admits exactly that
route with a valid, unexpired signature; a tampered or expired link is refused with 403 and
says how to get a fresh one. Every other route still needs the bearer token.

A link opens one run's report and nothing else, and stops working after
:data:`REPORT_LINK_TTL_S`; replacing the token revokes every link at once.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from urllib.parse import parse_qs, urlencode

from tutorloop.serve.ids import ID_PATTERN

__all__ = ["REPORT_LINK_TTL_S", "REPORT_PATH", "ReportLinks"]

REPORT_LINK_TTL_S = 7 * 24 * 3600
"""How long a signed report link opens its report: seven days."""

REPORT_PATH = re.compile(r"^/v1/runs/(" + ID_PATTERN.strip("^$") + r")/report$")
"""The one route a signed link opens (group 1: the run id)."""

_CONTEXT = b"tutorloop report links v1"


class ReportLinks:
    """Signs report links and checks them, with a secret derived from the bearer token."""

    def __init__(self, token: str, ttl_s: float = REPORT_LINK_TTL_S) -> None:
        if not token:
            raise ValueError("report links need the service's token")
        self._secret = hmac.new(token.encode("utf-8"), _CONTEXT, hashlib.sha256).digest()
        self.ttl_s = ttl_s

    def __repr__(self) -> str:
        return f"ReportLinks(ttl_s={self.ttl_s})"

    def _signature(self, run_id: str, expires: int) -> str:
        message = f"{run_id}\n{expires}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def query(self, run_id: str, *, now: float | None = None) -> str:
        """``expires=…&signature=…`` for a link to ``run_id``'s report, valid for the TTL."""
        expires = int((time.time() if now is None else now) + self.ttl_s)
        return urlencode({"expires": expires, "signature": self._signature(run_id, expires)})

    def url(self, base: str, run_id: str) -> str:
        """The signed link to ``run_id``'s report under ``base`` (the service's public URL)."""
        return f"{base.rstrip('/')}/v1/runs/{run_id}/report?{self.query(run_id)}"

    @staticmethod
    def is_signed(path: str, query: bytes) -> bool:
        """Whether the request asks for a report with a link signature."""
        return REPORT_PATH.fullmatch(path) is not None and b"signature=" in query

    def refusal(self, path: str, query: bytes, *, now: float | None = None) -> str | None:
        """Why a signed report request is refused (None: the link is valid)."""
        found = REPORT_PATH.fullmatch(path)
        fields = parse_qs(query.decode("latin-1"), keep_blank_values=True)
        expires_text = (fields.get("expires") or [""])[0]
        signature = (fields.get("signature") or [""])[0]
        fresh = "GET the run again (its report_url is signed afresh) and open that link"
        if found is None or not expires_text.isdigit() or not signature:
            return f"this report link is incomplete or altered: {fresh}"
        expires = int(expires_text)
        expected = self._signature(found.group(1), expires)
        if not hmac.compare_digest(signature.encode("utf-8"), expected.encode("ascii")):
            return f"this report link's signature does not match (the link was altered): {fresh}"
        if expires < (time.time() if now is None else now):
            return f"this report link expired at {expires} (unix seconds): {fresh}"
        return None
