"""What the review pages computed for a run, kept while the run's items and labels stay the same.

A run's queue rows (and its runs-page summary) take a pass over its stored results; a reviewer
moving through the queue asks for them again and again. An entry is keyed by what was computed
and for which run, and carries a stamp of the run (its item counts, status and label count):
items and labels are only ever added, so a changed stamp is the sign of a stale entry. Bounded
(least recently used entries go first) and safe to share between the service's threads.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from tutorloop.store import Store

__all__ = ["ReviewCache", "items_stamp", "run_stamp"]

T = TypeVar("T")


def items_stamp(store: Store, run_id: str) -> tuple[Hashable, ...]:
    """What changes when run ``run_id`` gains items."""
    counts = store.count_items(run_id)
    return (counts.items, counts.done, counts.errored, counts.escalated)


def run_stamp(store: Store, run_id: str) -> tuple[Hashable, ...]:
    """What changes when run ``run_id`` gains items or labels."""
    return (*items_stamp(store, run_id), sum(store.labels.labelled_keys(run_id).values()))


class ReviewCache:
    """A small LRU of per-run results, each valid for one stamp of its run."""

    def __init__(self, size: int = 32) -> None:
        if size < 1:
            raise ValueError("a review cache holds at least one entry")
        self._size = size
        self._entries: OrderedDict[Hashable, tuple[Hashable, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_make(self, key: Hashable, stamp: Hashable, make: Callable[[], T]) -> T:
        """The value kept for ``key`` if made at ``stamp``, else ``make()`` (then kept)."""
        with self._lock:
            found = self._entries.get(key)
            if found is not None and found[0] == stamp:
                self._entries.move_to_end(key)
                value: T = found[1]
                return value
        made = make()  # outside the lock: other pages are not held up meanwhile
        with self._lock:
            self._entries[key] = (stamp, made)
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return made
