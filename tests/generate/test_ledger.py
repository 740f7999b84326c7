"""The call ledger's group commit: answers arriving together share one durable transaction."""

from __future__ import annotations

from pathlib import Path

import anyio

from tutorloop.generate import CallLedger, GenerateResponse
from tutorloop.store import CallStore


def test_answers_recorded_together_are_committed_together_and_before_the_call_returns(
    tmp_path: Path, monkeypatch
) -> None:
    path = tmp_path / "calls.db"
    ledger = CallLedger(path)
    commits: list[int] = []
    put_many = CallStore.put_many

    def counted(self: CallStore, items) -> None:
        commits.append(len(items))
        put_many(self, items)

    monkeypatch.setattr(CallStore, "put_many", counted)
    durable: list[bool] = []

    async def one(i: int) -> None:
        await ledger.record([f"run:R:{i}", f"cache:{i}"], GenerateResponse(text=f"a{i}", model="m"))
        other = CallStore(path)  # another connection: what a resumed process would read
        durable.append(other.get(f"run:R:{i}") is not None)
        other.close()

    async def main() -> None:
        async with anyio.create_task_group() as group:
            for i in range(40):
                group.start_soon(one, i)

    anyio.run(main)
    assert durable == [True] * 40
    assert sum(commits) == 80 and len(commits) < 40
    assert ledger.get("cache:7") == GenerateResponse(text="a7", model="m")
    ledger.close()


def test_a_waiting_group_is_seen_by_get(tmp_path: Path) -> None:
    ledger = CallLedger(tmp_path / "calls.db")
    seen: list[str | None] = []

    async def main() -> None:
        async with anyio.create_task_group() as group:
            group.start_soon(ledger.record, ["k"], GenerateResponse(text="x", model="m"))
            await anyio.sleep(0)  # the recorder now waits for its group to commit

            found = ledger.get("k")
            seen.append(found.text if found else None)

    anyio.run(main)
    assert seen == ["x"]
    ledger.close()
