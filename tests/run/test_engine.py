"""The one run loop: bounded, batched, resumable, errors as data, fail_on_error, cancellation."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import anyio
import pytest
from pydantic import ValidationError

from tutorloop.errors import Problem, RunFailed
from tutorloop.run import RunConfig, run_async, run_sync


@dataclass(frozen=True)
class Work:
    key: str
    fail: bool = False


@dataclass
class MemorySink:
    done: set[str] = field(default_factory=set)
    batches: list[list[tuple[str, str]]] = field(default_factory=list)
    notes: list[Any] = field(default_factory=list)

    def is_done(self, key: str) -> bool:
        return key in self.done

    def failed(self, work: Work, error: BaseException) -> tuple[str, str]:
        return work.key, f"error: {error}"

    def is_error(self, result: tuple[str, str]) -> bool:
        return result[1].startswith("error")

    def note(self, entry: Any) -> None:
        self.notes.append(entry)

    def write(self, results: list[tuple[str, str]]) -> None:
        self.batches.append(list(results))
        self.done.update(key for key, _ in results)

    @property
    def results(self) -> dict[str, str]:
        return {key: value for batch in self.batches for key, value in batch}


def work_items(n: int, failing: set[int] = frozenset()) -> list[Work]:  # type: ignore[assignment]
    return [Work(f"k{i}", fail=i in failing) for i in range(n)]


def sync_worker(work: Work) -> tuple[str, str]:
    if work.fail:
        raise ValueError(f"bad {work.key}")
    return work.key, "ok"


async def async_worker(work: Work) -> tuple[str, str]:
    await anyio.sleep(0)
    return sync_worker(work)


def test_every_item_is_worked_once_and_written_in_batches() -> None:
    sink = MemorySink()
    told: list[int] = []
    report = run_sync(
        work_items(7), sync_worker, sink, RunConfig(batch_size=3), lambda n, **_: told.append(n)
    )
    assert [len(b) for b in sink.batches] == [3, 3, 1]
    assert sink.results == {f"k{i}": "ok" for i in range(7)}
    assert report.worked == report.written == 7 and sum(told) == 7


def test_a_resumed_run_skips_done_keys_and_counts_them() -> None:
    sink = MemorySink(done={"k0", "k2"})
    told: list[int] = []
    report = anyio.run(
        run_async, work_items(4), async_worker, sink, RunConfig(), lambda n, **_: told.append(n)
    )
    assert set(sink.results) == {"k1", "k3"}
    assert report.resumed == 2 and report.worked == 2 and sum(told) == 4


def test_worker_errors_are_data_and_other_items_still_run() -> None:
    sink = MemorySink()
    report = run_sync(work_items(5, failing={1, 3}), sync_worker, sink)
    assert sink.results["k1"] == "error: bad k1" and sink.results["k4"] == "ok"
    assert report.errored == 2 and report.worked == 5


def test_what_the_source_cannot_use_goes_to_the_sink_as_is() -> None:
    problem = Problem("in.jsonl:3", "not JSON")
    sink = MemorySink()
    run_sync([Work("a"), problem, Work("b")], sync_worker, sink)
    assert sink.notes == [problem] and set(sink.results) == {"a", "b"}


@pytest.mark.parametrize(
    ("threshold", "fails"),
    [(False, False), (True, True), (2, False), (1, True), (0.5, False), (0.3, True)],
)
def test_fail_on_error_decides_when_errors_fail_the_run(
    threshold: bool | int | float, fails: bool
) -> None:
    sink = MemorySink()
    items = work_items(5, failing={0, 4})  # 2 of 5 errored: 40 %
    config = RunConfig(fail_on_error=threshold)
    if fails:
        with pytest.raises(RunFailed, match="errored"):
            run_sync(items, sync_worker, sink, config)
    else:
        run_sync(items, sync_worker, sink, config)
    assert "k0" in sink.results  # what finished is written either way


def test_fail_on_error_in_the_async_loop_writes_what_finished_first() -> None:
    sink = MemorySink()
    with pytest.raises(RunFailed):
        anyio.run(
            run_async, work_items(6, failing={2}), async_worker, sink, RunConfig(fail_on_error=True)
        )
    assert sink.results["k2"] == "error: bad k2"


def test_in_flight_never_exceeds_the_limit() -> None:
    active = 0
    peak = 0

    async def slow(work: Work) -> tuple[str, str]:
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        await anyio.sleep(0.01)
        active -= 1
        return work.key, "ok"

    sink = MemorySink()
    anyio.run(run_async, work_items(30), slow, sink, RunConfig(max_in_flight=4))
    assert peak == 4 and len(sink.results) == 30


@pytest.mark.parametrize("field_name", ["max_in_flight", "batch_size"])
def test_limits_below_one_are_refused_with_their_name(field_name: str) -> None:
    with pytest.raises(ValidationError, match=f"{field_name} must be >= 1"):
        RunConfig.model_validate({field_name: 0})


def test_a_share_outside_zero_and_one_is_refused() -> None:
    with pytest.raises(ValidationError, match="between 0 and 1"):
        RunConfig(fail_on_error=1.5)


def test_a_cancelled_run_keeps_what_finished() -> None:
    sink = MemorySink()

    async def blocks_after_three(work: Work) -> tuple[str, str]:
        if int(work.key[1:]) >= 3:
            await anyio.sleep_forever()
        return work.key, "ok"

    async def main() -> None:
        with anyio.move_on_after(0.5):
            await run_async(
                work_items(6), blocks_after_three, sink, RunConfig(max_in_flight=6, batch_size=100)
            )

    anyio.run(main)
    assert set(sink.results) == {"k0", "k1", "k2"}


def test_an_async_source_is_read_lazily() -> None:
    pulled: list[str] = []

    async def source() -> Any:
        for item in work_items(5):
            pulled.append(item.key)
            yield item

    sink = MemorySink()
    anyio.run(run_async, source(), async_worker, sink, RunConfig(max_in_flight=1))
    assert pulled == [f"k{i}" for i in range(5)] and len(sink.results) == 5


def test_a_waiting_batch_is_written_when_old_even_if_no_result_follows() -> None:
    sink = MemorySink()
    seen_before_last: list[int] = []

    async def last_is_slow(work: Work) -> tuple[str, str]:
        if work.key == "k3":
            await anyio.sleep(1.5)
            seen_before_last.append(len(sink.results))
        return work.key, "ok"

    config = RunConfig(batch_size=100, flush_seconds=0.2, max_in_flight=4)
    anyio.run(run_async, work_items(4), last_is_slow, sink, config)
    assert seen_before_last == [3] and len(sink.results) == 4
