"""The call ledger's file: text under keys, kept across opens, shared by threads."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from tutorloop.errors import StoreError
from tutorloop.store import CallStore


def test_put_get_count_and_reopen(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "calls.db"
    calls = CallStore(path)
    assert calls.get("run:r:abc") is None
    calls.put(["run:r:abc", "cache:abc"], '{"text": "one"}')
    calls.put(["cache:abc"], '{"text": "two"}')  # a key is replaced, not doubled
    assert calls.get("run:r:abc") == '{"text": "one"}'
    assert (calls.count(), calls.count("run:"), calls.count("cache:")) == (2, 1, 1)
    calls.close()
    calls.close()
    reopened = CallStore(path)
    assert reopened.get("cache:abc") == '{"text": "two"}'
    reopened.close()


def test_a_file_that_is_not_a_ledger_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "calls.db"
    path.write_bytes(b"not a database at all, only text long enough to be read " * 20)
    with pytest.raises(StoreError, match="call ledger") as info:
        CallStore(path)
    assert str(path) in info.value.message


def test_threads_write_through_one_connection(tmp_path: Path) -> None:
    calls = CallStore(tmp_path / "calls.db")
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            for i in range(100):
                calls.put([f"run:w{worker}:{i}"], "{}")
                assert calls.get(f"run:w{worker}:{i}") == "{}"
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == [] and calls.count("run:") == 400
    calls.close()
