"""Drift statistics: intervals, corrections, and a shift found between two windows."""

from __future__ import annotations

import math

import pytest

from tutorloop.analyse import (
    adjust_pvalues,
    compare_windows,
    metric_value,
    newcombe_interval,
    pick_windows,
    time_series,
    wilson_interval,
)
from tutorloop.store import WatchRow


def rows(n: int, *, failing: int = 0, start: float = 0.0, model: str = "a") -> list[WatchRow]:
    return [
        WatchRow(
            item_key=f"{model}{start}-{i}",
            run_id="watch-x",
            at=start + i,
            arrived_at=start + i,
            model=model,
            escalate=i < failing,
            fidelity=0.5 if i < failing else 0.9,
            checks={"no_direct_answer_initially": i >= failing},
            failures=["answered_too_early"] if i < failing else [],
        )
        for i in range(n)
    ]


def test_wilson_interval_matches_the_textbook_value() -> None:
    low, high = wilson_interval(81, 263)  # Newcombe (1998), example
    assert low == pytest.approx(0.2553, abs=1e-4)
    assert high == pytest.approx(0.3662, abs=1e-4)
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_newcombe_interval_matches_the_textbook_value() -> None:
    # Newcombe (1998) example (c): 56/70 vs 48/80 → difference 0.2 in (0.0524, 0.3339)
    low, high = newcombe_interval(48, 80, 56, 70)
    assert low == pytest.approx(0.0524, abs=1e-3)
    assert high == pytest.approx(0.3339, abs=1e-3)


def test_bh_and_holm_adjust_like_the_definitions() -> None:
    p = [0.01, 0.04, 0.03, 0.005]
    assert adjust_pvalues(p, "bh") == pytest.approx([0.02, 0.04, 0.04, 0.02])
    assert adjust_pvalues(p, "holm") == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert adjust_pvalues([], "bh") == []


def test_a_shift_is_significant_and_reported_with_effect_and_interval() -> None:
    report = compare_windows(rows(200), rows(200, failing=60, start=1000), alpha=0.01)
    found = {(t.metric, t.split): t for t in report.tests}
    check = found[("check:no_direct_answer_initially", None)]
    assert check.significant and check.worse
    assert check.difference == pytest.approx(-0.3)
    assert check.diff_low < -0.3 < check.diff_high < 0
    assert check.effect == pytest.approx(2 * math.asin(math.sqrt(0.7)) - math.pi)
    assert found[("fidelity", None)].test == "welch_t"
    assert found[("fidelity", None)].significant


def test_no_shift_is_not_significant() -> None:
    report = compare_windows(rows(200, failing=20), rows(200, failing=22, start=1000))
    assert not report.significant()


def test_small_counts_use_fishers_test_and_splits_are_tested() -> None:
    base = rows(40) + rows(40, model="b")
    cur = rows(40, failing=3, start=1000) + rows(40, model="b", start=1000)
    report = compare_windows(base, cur, splits=["model"], min_count=30)
    tests = {(t.metric, t.segment): t for t in report.tests}
    assert tests[("check:no_direct_answer_initially", "a")].test == "fisher"
    assert ("escalation", "b") in tests


def test_windows_need_history() -> None:
    assert isinstance(pick_windows(0, 100, 600, "start"), str)
    base, cur = pick_windows(0, 2000, 600, "start")
    assert (base.start, base.end) == (0, 600) and cur.start == 1400
    base, cur = pick_windows(0, 2000, 600, "previous")
    assert (base.start, base.end) == (800, 1400)


def test_time_series_and_metric_values() -> None:
    series = time_series(rows(100) + rows(100, failing=50, start=100), "escalation", 100)
    assert [round(v.value, 2) for _, v in series] == [0.0, 0.5]
    assert metric_value([], "fidelity") is None
