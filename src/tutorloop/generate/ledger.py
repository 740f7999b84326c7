"""The call ledger and response cache: answers already paid for, kept by the store.

Two scopes share one file (:class:`tutorloop.store.CallStore`, ``calls.db``). A run's ledger
(``run:<id>:<request sha256>``) makes a resumed run reuse every answer it already received, so a
run killed with kill -9 repeats at most the calls that were in flight. The cache
(``cache:<request sha256>``) lets any later run reuse an answer to an identical request, for
``CallPolicy.cache_ttl_s`` (30 days by default); it can be turned off or kept to the run
(``cache_scope: run``), the ledger cannot. ``tutorloop cache stats|clear`` shows and empties it.

The Model wrapper records answers with :meth:`CallLedger.record`, a group commit: the answers
that arrive together (in the same turn of the event loop) are written in one transaction, and
each caller waits for that commit before its call returns, still holding its connection slot.
An answer is therefore durable before anything uses it, and what a kill -9 can lose is bounded
by the calls in flight (the concurrency), as with one transaction per answer.
"""

from __future__ import annotations

from pathlib import Path

import anyio

from tutorloop.generate.types import GenerateResponse
from tutorloop.store import CallStore, LedgerStats


class _Group:
    """Answers committed together, and the event their callers wait for."""

    __slots__ = ("done", "error", "items", "led")

    def __init__(self) -> None:
        self.items: dict[str, str] = {}
        self.done = anyio.Event()
        self.led = False
        self.error: BaseException | None = None


class CallLedger:
    """Answers keyed by scope and request fingerprint.

    Args:
        path: The ``calls.db`` file.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._calls = CallStore(path)
        self._group: _Group | None = None

    def get(self, key: str, max_age_s: float | None = None) -> GenerateResponse | None:
        """The answer for ``key``: one being committed, else one stored at most max_age_s ago."""
        group = self._group
        text = group.items.get(key) if group is not None else None
        if text is None:
            text = self._calls.get(key, max_age_s)
        return None if text is None else GenerateResponse.model_validate_json(text)

    def put(self, keys: list[str], response: GenerateResponse) -> None:
        """Store ``response`` under every key in ``keys`` (one transaction, at once)."""
        self._calls.put(keys, response.model_dump_json())

    async def record(self, keys: list[str], response: GenerateResponse) -> None:
        """Store ``response`` under every key in ``keys``, committed with the answers beside it.

        Returns once the group's transaction is committed; raises what the commit raised.
        """
        if not keys:
            return
        text = response.model_dump_json()
        group = self._group
        if group is None:
            group = self._group = _Group()
        for key in keys:
            group.items[key] = text
        if group.led:
            await group.done.wait()
        else:
            group.led = True
            try:
                # one turn of the loop: the answers that arrived with this one join the group
                await anyio.sleep(0)
            finally:
                self._group = None
                try:
                    self._calls.put_many(list(group.items.items()))
                except BaseException as exc:
                    group.error = exc
                    raise
                finally:
                    group.done.set()
        if group.error is not None:
            raise group.error

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
