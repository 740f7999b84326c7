"""The call ledger and response cache: answers already paid for, kept by the store.

Two scopes share one file (:class:`tutorloop.store.CallStore`, ``calls.db``). A run's ledger
(``run:<id>:<request sha256>``) makes a resumed run reuse every answer it already received, so a
run killed with kill -9 repeats at most the calls that were in flight. The cache
(``cache:<request sha256>``) lets any later run reuse an answer to an identical request; it can
be turned off, the ledger cannot.
"""

from __future__ import annotations

from pathlib import Path

from tutorloop.generate.types import GenerateResponse
from tutorloop.store import CallStore


class CallLedger:
    """Answers keyed by scope and request fingerprint; each write commits at once."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._calls = CallStore(path)

    def get(self, key: str) -> GenerateResponse | None:
        """The stored answer for ``key``, if any."""
        text = self._calls.get(key)
        return None if text is None else GenerateResponse.model_validate_json(text)

    def put(self, keys: list[str], response: GenerateResponse) -> None:
        """Store ``response`` under every key in ``keys`` (one transaction)."""
        self._calls.put(keys, response.model_dump_json())

    def count(self, prefix: str = "") -> int:
        """How many answers are stored under keys starting with ``prefix``."""
        return self._calls.count(prefix)

    def close(self) -> None:
        """Close the file."""
        self._calls.close()
