"""The review pages' per-run cache: a changed stamp recomputes, the oldest entries go first."""

from __future__ import annotations

import pytest

from tutorloop.present.review import ReviewCache


def test_an_entry_is_kept_for_its_stamp_only() -> None:
    cache = ReviewCache(size=2)
    made: list[str] = []

    def make(value: str):
        def run() -> str:
            made.append(value)
            return value

        return run

    assert cache.get_or_make("a", (1,), make("a1")) == "a1"
    assert cache.get_or_make("a", (1,), make("again")) == "a1"  # same stamp: kept
    assert cache.get_or_make("a", (2,), make("a2")) == "a2"  # the run changed: made again
    cache.get_or_make("b", (1,), make("b1"))
    cache.get_or_make("c", (1,), make("c1"))  # over the bound: "a" (least recent) goes
    assert cache.get_or_make("a", (2,), make("a3")) == "a3"
    assert made == ["a1", "a2", "b1", "c1", "a3"]


def test_a_cache_holds_something() -> None:
    with pytest.raises(ValueError, match="at least one"):
        ReviewCache(size=0)
