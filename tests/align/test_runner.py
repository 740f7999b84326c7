"""The runner in-process with the simulators: lazy work, resume, the retries option."""

import json
import re
from pathlib import Path

import pytest

import tutorloop.align.runner as runner_module
from tutorloop.align import (
    AlignConfig,
    FatalModelError,
    bundled_align_dataset,
    run_align,
)
from tutorloop.generate import CallPolicy
from tutorloop.records import AlignRow
from tutorloop.store import AlignStore


def big_dataset(tmp_path: Path, items: int) -> Path:
    first = json.loads(bundled_align_dataset().read_text().splitlines()[0])
    path = tmp_path / "big.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for i in range(items):
            handle.write(json.dumps({**first, "id": f"T-{i}"}) + "\n")
    return path


def config(tmp_path: Path, data: Path, **changes: object) -> AlignConfig:
    fields: dict[str, object] = {
        "dataset": data, "models": ["sim/base"], "personas": ["evil_confidant"],
        "judge_model": "sim/base", "output_dir": tmp_path / "results", "run_id": "L",
    }  # fmt: skip
    fields.update(changes)
    return AlignConfig.model_validate(fields)


def test_work_is_produced_lazily(tmp_path, monkeypatch):
    read: list[str] = []
    at_first_row: list[int] = []
    real_iter, real_record = runner_module.iter_dataset, AlignStore.record_many

    def counting_iter(*args, **kwargs):
        for item in real_iter(*args, **kwargs):
            read.append(item.id)
            yield item

    def record(self, rows):
        if not at_first_row:
            at_first_row.append(len(read))
        real_record(self, rows)

    monkeypatch.setattr(runner_module, "iter_dataset", counting_iter)
    monkeypatch.setattr(AlignStore, "record_many", record)
    report = run_align(config(tmp_path, big_dataset(tmp_path, 300)), CallPolicy(concurrency=1))
    assert report.written == len(read) == 300
    # two workers and a buffer of two: a handful of items read ahead, not the whole file
    assert at_first_row[0] <= 6


def test_a_second_run_with_the_same_id_only_resumes(tmp_path):
    data = big_dataset(tmp_path, 5)
    first = run_align(config(tmp_path, data, models=["sim/base", "sim/study"]))
    assert (first.written, first.resumed) == (10, 0)
    told: list[tuple[int, int | None]] = []
    again = run_align(
        config(tmp_path, data, models=["sim/base", "sim/study"]),
        progress=lambda done, total=None: told.append((done, total)),
    )
    assert (again.written, again.resumed) == (0, 10)
    assert told[0] == (0, 10) and sum(done for done, _ in told) == 10  # the bar: 10/10
    lines = (tmp_path / "results" / "L" / "partials.jsonl").read_text().splitlines()
    assert len(lines) == 10


def test_a_bare_model_name_runs_on_openai_and_is_kept_as_given(tmp_path, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    expected = re.escape("the model 'gpt-4.1' cannot be used: no API key: set OPENAI_API_KEY")
    with pytest.raises(FatalModelError, match=expected):
        run_align(config(tmp_path, big_dataset(tmp_path, 1), models=["gpt-4.1"]))


def test_an_unexpected_error_is_kept_as_an_error_row(tmp_path, monkeypatch):
    real_judge = runner_module.ask_judge
    calls: list[int] = []

    async def judge_failing_once(judge, item, candidate):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("judge adapter bug")
        return await real_judge(judge, item, candidate)

    monkeypatch.setattr(runner_module, "ask_judge", judge_failing_once)
    report = run_align(config(tmp_path, big_dataset(tmp_path, 4)), CallPolicy(concurrency=1))
    assert (report.written, report.errored) == (4, 1)
    lines = (tmp_path / "results" / "L" / "partials.jsonl").read_text().splitlines()
    rows = [AlignRow.model_validate_json(line) for line in lines]
    failed = [row for row in rows if row.error]
    assert len(rows) == 4 and len(failed) == 1
    assert failed[0].error == "run: judge adapter bug"
    assert failed[0].error_type == "RuntimeError"
    log = (tmp_path / "results" / "L" / "run.log").read_text()
    assert f"{failed[0].key}: run: judge adapter bug (RuntimeError)" in log


def test_a_model_that_cannot_be_used_stops_the_run_and_the_same_id_resumes(tmp_path, monkeypatch):
    real_candidate = runner_module.ask_candidate
    calls: list[int] = []

    async def rejected_from_the_fourth(model, messages):
        calls.append(1)
        if len(calls) >= 4:
            raise FatalModelError("the candidate model 'sim/base' cannot be used: 401")
        return await real_candidate(model, messages)

    data = big_dataset(tmp_path, 8)
    monkeypatch.setattr(runner_module, "ask_candidate", rejected_from_the_fourth)
    with pytest.raises(FatalModelError, match="401"):
        run_align(config(tmp_path, data), CallPolicy(concurrency=1))
    partials = tmp_path / "results" / "L" / "partials.jsonl"
    kept = len(partials.read_text().splitlines())
    assert 1 <= kept <= 3
    assert "stopped: the candidate model" in (partials.parent / "run.log").read_text()
    monkeypatch.setattr(runner_module, "ask_candidate", real_candidate)
    again = run_align(config(tmp_path, data), CallPolicy(concurrency=1))
    assert (again.resumed, again.written, again.errored) == (kept, 8 - kept, 0)
    keys = [AlignRow.model_validate_json(x).key for x in partials.read_text().splitlines()]
    assert len(keys) == len(set(keys)) == 8
