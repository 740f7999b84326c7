"""The one grader protocol: sync and async kinds through one entry point, specs, versions."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

import pytest

from tutorloop.grade import GradeEnv, GraderSpec, Sample
from tutorloop.records import GraderResult


class Exact(GraderSpec):
    """A toy grader implemented with ``def``."""

    type: Literal["toy_exact"] = "toy_exact"
    expected: str

    def evaluate(self, item: dict[str, Any], sample: Sample, env: GradeEnv) -> GraderResult:
        ok = sample.output_text == self.expected
        return self.outcome(score=float(ok), passed=ok)


class Slow(GraderSpec):
    """A toy grader implemented with ``async def``."""

    type: Literal["toy_slow"] = "toy_slow"
    expected: str

    async def evaluate(self, item: dict[str, Any], sample: Sample, env: GradeEnv) -> GraderResult:
        await asyncio.sleep(0)
        ok = sample.output_text == self.expected
        return self.outcome(score=float(ok), passed=ok)


FAKE_KEY = "sk-" + "not-a-real-key-" * 2
"""Shaped like an API key only once assembled, so no key-shaped text sits in the source."""


class Broken(GraderSpec):
    """A toy grader that raises, with a secret in the message."""

    type: Literal["toy_broken"] = "toy_broken"

    def evaluate(self, item: dict[str, Any], sample: Sample, env: GradeEnv) -> GraderResult:
        raise RuntimeError(f"key {FAKE_KEY} rejected")


class Compact(GraderSpec):
    """A toy grader whose spec leaves out its defaults."""

    FULL_SPEC = False

    type: Literal["toy_compact"] = "toy_compact"
    name: str = "compact"
    threshold: float = 0.5


def grade(grader: GraderSpec, text: str) -> GraderResult:
    return asyncio.run(grader.grade({}, Sample.from_text(text), GradeEnv()))


@pytest.mark.parametrize("cls", [Exact, Slow])
def test_sync_and_async_graders_go_through_the_same_entry_point(cls: type[GraderSpec]) -> None:
    grader = cls(name="match", expected="Paris")
    hit, miss = grade(grader, "Paris"), grade(grader, "Lyon")
    assert isinstance(hit, GraderResult) and isinstance(miss, GraderResult)
    assert (hit.score, hit.passed, miss.score, miss.passed) == (1.0, True, 0.0, False)
    assert hit.name == "match" and hit.type == grader.kind and hit.version == grader.version


def test_the_two_kinds_give_the_same_result_shape() -> None:
    sync = grade(Exact(name="m", expected="x"), "x").model_dump(exclude={"type", "version"})
    slow = grade(Slow(name="m", expected="x"), "x").model_dump(exclude={"type", "version"})
    assert sync == slow


def test_a_grader_that_raises_gives_a_scrubbed_error_result() -> None:
    result = grade(Broken(name="b"), "anything")
    assert result.error is not None and result.error.type == "RuntimeError"
    message = result.error.message
    assert "rejected" in message and FAKE_KEY not in message and "[redacted]" in message
    assert result.score is None and result.passed is None


def test_a_kind_that_does_not_implement_evaluate_is_an_error_result() -> None:
    class Nothing(GraderSpec):
        type: Literal["toy_nothing"] = "toy_nothing"

    result = grade(Nothing(name="n"), "x")
    assert result.error is not None and result.error.type == "NotImplementedError"


def test_the_version_hashes_the_config_and_the_implementation() -> None:
    a, b = Exact(name="m", expected="x"), Exact(name="m", expected="y")
    assert a.version == Exact(name="m", expected="x").version
    assert a.version != b.version and a.version.startswith("toy_exact/1+")

    class Exact2(Exact):
        IMPLEMENTATION = "2"

    assert Exact2(name="m", expected="x").version.startswith("toy_exact/2+")


def test_a_spec_rebuilds_an_equal_grader_with_the_same_version() -> None:
    grader = Exact(name="m", expected="x")
    assert grader.to_spec() == {"name": "m", "type": "toy_exact", "expected": "x"}
    again = Exact.model_validate(grader.to_spec())
    assert again == grader and again.version == grader.version


def test_a_compact_spec_lists_only_what_differs_from_the_defaults() -> None:
    assert Compact().to_spec() == {"type": "toy_compact", "name": "compact"}
    changed = Compact(threshold=0.7)
    assert changed.to_spec() == {"type": "toy_compact", "name": "compact", "threshold": 0.7}
    assert Compact.model_validate(changed.to_spec()) == changed
    assert changed.version != Compact().version
