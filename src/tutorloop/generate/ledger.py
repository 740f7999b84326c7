"""The call ledger and response cache: answers already paid for, kept by the store.

Two scopes share one file (:class:`tutorloop.store.CallStore`, ``calls.db``). A run's ledger
(``run:<id>:<request sha256>``) makes a resumed run reuse every answer it already received, so a
run killed with kill -9 repeats at most the calls that were in flight. The cache
(``cache:<request sha256>``) lets any later run reuse an answer to an identical request, for
``CallPolicy.cache_ttl_s`` (30 days by default); it can be turned off or kept to the run
(``cache_scope: run``), the ledger cannot. ``tutorloop cache stats|clear`` shows and empties it.
"""

from __future__ import annotations

from pathlib import Path

from tutorloop.generate.types import GenerateResponse
from tutorloop.store import CallStore, LedgerStats


class CallLedger:
    """Answers keyed by scope and request fingerprint; each write commits at once."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._calls = CallStore(path)

    def get(self, key: str, max_age_s: float | None = None) -> GenerateResponse | None:
        """The stored answer for ``key``, if any (not older than ``max_age_s`` seconds)."""
        text = self._calls.get(key, max_age_s)
        return None if text is None else GenerateResponse.model_validate_json(text)

    def put(self, keys: list[str], response: GenerateResponse) -> None:
        """Store ``response`` under every key in ``keys`` (one transaction)."""
        self._calls.put(keys, response.model_dump_json())

    def count(self, prefix: str = "") -> int:
        """How many answers are stored under keys starting with ``prefix``."""
        return self._calls.count(prefix)

    def stats(self, prefix: str, max_age_s: float | None = None) -> LedgerStats:
        """Entries under ``prefix``: count, how many are older than ``max_age_s``, size, dates."""
        return self._calls.stats(prefix, max_age_s)

    def clear(self, prefix: str, older_than_s: float | None = None) -> int:
        """Delete the entries under ``prefix`` (older than ``older_than_s`` when given)."""
        return self._calls.clear(prefix, older_than_s)

    def close(self) -> None:
        """Close the file."""
        self._calls.close()
