"""Drift of watched sessions: the current window against a baseline window, metric by metric.

Metrics (over the sessions graded without error):

* ``check:<name>``: the share of sessions that pass the check;
* ``failure:<class>``: the share of sessions with that failure class;
* ``escalation``: the share of escalated sessions;
* ``fidelity``: the mean pedagogical fidelity score.

Each metric is compared over all sessions and within each segment of the configured splits
(model, overlay version, domain, persona). A share is tested with the two-proportion z-test, or
Fisher's exact test when an expected count is under 5, and reported with Wilson intervals, the
difference with its Newcombe (hybrid score) interval and Cohen's h; fidelity with Welch's t-test,
the mean difference with its interval and Cohen's d. The p-values of one comparison are corrected
together (Benjamini–Hochberg, or Holm). scipy provides the t distribution and Fisher's test,
imported when a test needs them (scipy with NumPy costs ~100 MiB and seconds of import, which a
run that never compares windows should not pay).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from tutorloop.store import WatchRow

__all__ = [
    "DriftReport",
    "DriftTest",
    "MetricValue",
    "Window",
    "adjust_pvalues",
    "compare_windows",
    "metric_value",
    "newcombe_interval",
    "pick_windows",
    "time_series",
    "watched_metrics",
    "wilson_interval",
]

Split = Literal["model", "overlay", "domain", "persona"]
_Z95 = 1.959963984540054


@dataclass(frozen=True)
class Window:
    """A time window ``[start, end)`` (epoch seconds)."""

    start: float
    end: float


@dataclass(frozen=True)
class MetricValue:
    """A metric over some sessions: a share (``count`` of ``n``) or a mean, with its interval."""

    value: float
    n: int
    low: float
    high: float
    count: int | None = None
    """For a share: the sessions counted; None for a mean."""
    sd: float | None = None
    """For a mean: the standard deviation."""


@dataclass(frozen=True)
class DriftTest:
    """One metric in one segment: baseline against current, with the test and effect size."""

    metric: str
    split: str | None
    segment: str | None
    baseline: MetricValue
    current: MetricValue
    difference: float
    """current minus baseline."""
    diff_low: float
    diff_high: float
    effect: float
    """Cohen's h for a share, Cohen's d for a mean."""
    test: str
    p_value: float
    p_adjusted: float = 1.0
    significant: bool = False

    @property
    def worse(self) -> bool:
        """Whether the change is for the worse (pass rate or fidelity down, a rate up)."""
        if self.metric.startswith("check:") or self.metric == "fidelity":
            return self.difference < 0
        return self.difference > 0


@dataclass
class DriftReport:
    """Every test of one comparison of the current window against the baseline."""

    current: Window | None
    baseline: Window | None
    current_n: int = 0
    baseline_n: int = 0
    tests: list[DriftTest] = field(default_factory=list)
    correction: str = "bh"
    alpha: float = 0.01
    reason: str | None = None
    """Why nothing was compared (not enough history), if so."""

    @property
    def compared(self) -> bool:
        """Whether the two windows could be compared."""
        return self.reason is None

    def significant(self) -> list[DriftTest]:
        """The tests that pass the corrected threshold."""
        return [t for t in self.tests if t.significant]


def wilson_interval(count: int, n: int, z: float = _Z95) -> tuple[float, float]:
    """The Wilson score interval of ``count`` successes in ``n`` (``(0, 1)`` when ``n`` is 0)."""
    if n == 0:
        return 0.0, 1.0
    p = count / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def newcombe_interval(k1: int, n1: int, k2: int, n2: int) -> tuple[float, float]:
    """Newcombe's hybrid score interval of ``k2/n2 - k1/n1`` (method 10)."""
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = wilson_interval(k1, n1)
    l2, u2 = wilson_interval(k2, n2)
    d = p2 - p1
    low = d - math.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2)
    high = d + math.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2)
    return max(-1.0, low), min(1.0, high)


def adjust_pvalues(p_values: Sequence[float], method: str = "bh") -> list[float]:
    """Benjamini–Hochberg (``bh``) or Holm (``holm``) adjusted p-values, in the given order."""
    m = len(p_values)
    if m == 0:
        return []
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [1.0] * m
    if method == "holm":
        running = 0.0
        for rank, index in enumerate(order):
            running = max(running, min(1.0, (m - rank) * p_values[index]))
            adjusted[index] = running
        return adjusted
    running = 1.0
    for rank in range(m - 1, -1, -1):
        index = order[rank]
        running = min(running, p_values[index] * m / (rank + 1))
        adjusted[index] = min(1.0, running)
    return adjusted


def _usable(rows: Iterable[WatchRow]) -> list[WatchRow]:
    return [row for row in rows if not row.errored]


def watched_metrics(rows: Iterable[WatchRow]) -> list[str]:
    """Every metric the rows have: their checks, failure classes, escalation and fidelity."""
    checks: dict[str, None] = {}
    failures: dict[str, None] = {}
    for row in rows:
        checks.update(dict.fromkeys(row.checks))
        failures.update(dict.fromkeys(row.failures))
    return (
        [f"check:{name}" for name in checks]
        + [f"failure:{name}" for name in sorted(failures)]
        + ["escalation", "fidelity"]
    )


def _share_of(rows: Sequence[WatchRow], metric: str) -> tuple[int, int]:
    if metric.startswith("check:"):
        name = metric[len("check:") :]
        judged = [row.checks[name] for row in rows if name in row.checks]
        return sum(judged), len(judged)
    if metric.startswith("failure:"):
        name = metric[len("failure:") :]
        return sum(name in row.failures for row in rows), len(rows)
    if metric == "escalation":
        return sum(bool(row.escalate) for row in rows), len(rows)
    raise ValueError(f"unknown metric {metric!r}")


def _fidelities(rows: Sequence[WatchRow]) -> list[float]:
    return [row.fidelity for row in rows if row.fidelity is not None]


def metric_value(rows: Sequence[WatchRow], metric: str) -> MetricValue | None:
    """``metric`` over ``rows`` (errored sessions left out); None when no session has it."""
    usable = _usable(rows)
    if metric == "fidelity":
        values = _fidelities(usable)
        if not values:
            return None
        mean = sum(values) / len(values)
        sd = _sd(values, mean)
        half = _Z95 * sd / math.sqrt(len(values)) if len(values) > 1 else 0.0
        return MetricValue(mean, len(values), mean - half, mean + half, sd=sd)
    count, n = _share_of(usable, metric)
    if n == 0:
        return None
    low, high = wilson_interval(count, n)
    return MetricValue(count / n, n, low, high, count=count)


def _sd(values: Sequence[float], mean: float) -> float:
    if len(values) < 2:
        return 0.0
    return math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))


def _test_share(metric: str, base: MetricValue, cur: MetricValue) -> tuple[float, ...]:
    k1, n1, k2, n2 = base.count or 0, base.n, cur.count or 0, cur.n
    pooled = (k1 + k2) / (n1 + n2)
    expected = min(pooled * n1, (1 - pooled) * n1, pooled * n2, (1 - pooled) * n2)
    if expected < 5:
        from scipy import stats

        _, p = stats.fisher_exact([[k1, n1 - k1], [k2, n2 - k2]])
        test = 1.0
    else:
        se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
        z = 0.0 if se == 0 else (cur.value - base.value) / se
        p = math.erfc(abs(z) / math.sqrt(2))  # two-sided normal tail
        test = 0.0
    low, high = newcombe_interval(k1, n1, k2, n2)
    h = 2 * math.asin(math.sqrt(cur.value)) - 2 * math.asin(math.sqrt(base.value))
    return float(p), low, high, h, test


def _test_mean(base: list[float], cur: list[float]) -> tuple[float, float, float, float]:
    m1, m2 = sum(base) / len(base), sum(cur) / len(cur)
    s1, s2 = _sd(base, m1), _sd(cur, m2)
    v1, v2 = s1 * s1 / len(base), s2 * s2 / len(cur)
    se = math.sqrt(v1 + v2)
    diff = m2 - m1
    if se == 0:
        p = 1.0 if diff == 0 else 0.0
        return p, diff, diff, 0.0
    df = (v1 + v2) ** 2 / (
        (v1 * v1 / (len(base) - 1) if len(base) > 1 else 0.0)
        + (v2 * v2 / (len(cur) - 1) if len(cur) > 1 else 0.0)
        or 1.0
    )
    from scipy import stats

    t = diff / se
    p = float(2 * stats.t.sf(abs(t), df))
    half = float(stats.t.ppf(0.975, df)) * se
    pooled_sd = math.sqrt((s1 * s1 + s2 * s2) / 2)
    d = diff / pooled_sd if pooled_sd else 0.0
    return p, diff - half, diff + half, d


def _compare(
    metric: str,
    split: str | None,
    segment: str | None,
    baseline: Sequence[WatchRow],
    current: Sequence[WatchRow],
    min_count: int,
) -> DriftTest | None:
    base = metric_value(baseline, metric)
    cur = metric_value(current, metric)
    if base is None or cur is None or base.n < min_count or cur.n < min_count:
        return None
    if metric == "fidelity":
        p, low, high, effect = _test_mean(
            _fidelities(_usable(baseline)), _fidelities(_usable(current))
        )
        test = "welch_t"
    else:
        p, low, high, effect, kind = _test_share(metric, base, cur)
        test = "fisher" if kind else "z"
    return DriftTest(
        metric=metric,
        split=split,
        segment=segment,
        baseline=base,
        current=cur,
        difference=cur.value - base.value,
        diff_low=low,
        diff_high=high,
        effect=effect,
        test=test,
        p_value=p,
    )


def _segments(rows: Iterable[WatchRow], split: str) -> dict[str, list[WatchRow]]:
    groups: dict[str, list[WatchRow]] = {}
    for row in rows:
        value = getattr(row, split)
        if value is not None:
            groups.setdefault(str(value), []).append(row)
    return groups


def compare_windows(
    baseline: Sequence[WatchRow],
    current: Sequence[WatchRow],
    *,
    splits: Sequence[str] = (),
    alpha: float = 0.01,
    correction: str = "bh",
    min_count: int = 30,
    windows: tuple[Window | None, Window | None] = (None, None),
) -> DriftReport:
    """Compare every metric of ``current`` against ``baseline``, overall and per segment."""
    report = DriftReport(
        current=windows[1],
        baseline=windows[0],
        current_n=len(current),
        baseline_n=len(baseline),
        correction=correction,
        alpha=alpha,
    )
    metrics = watched_metrics([*baseline, *current])
    tests: list[DriftTest] = []
    for metric in metrics:
        found = _compare(metric, None, None, baseline, current, min_count)
        if found:
            tests.append(found)
    for split in splits:
        base_groups, cur_groups = _segments(baseline, split), _segments(current, split)
        if len(set(base_groups) | set(cur_groups)) < 2:
            continue  # one segment is the whole: already tested
        for name in sorted(set(base_groups) & set(cur_groups)):
            for metric in metrics:
                found = _compare(
                    metric, split, name, base_groups[name], cur_groups[name], min_count
                )
                if found:
                    tests.append(found)
    adjusted = adjust_pvalues([t.p_value for t in tests], correction)
    report.tests = [_with_p(test, p, p <= alpha) for test, p in zip(tests, adjusted, strict=True)]
    return report


def _with_p(test: DriftTest, p: float, significant: bool) -> DriftTest:
    from dataclasses import replace

    return replace(test, p_adjusted=p, significant=significant)


def pick_windows(
    first: float, latest: float, window: float, baseline: str
) -> tuple[Window, Window] | str:
    """The baseline and current windows, or why there is not enough history for both."""
    current = Window(latest - window, latest + 1e-9)
    if baseline == "previous":
        base = Window(latest - 2 * window, latest - window)
        if first > base.start + window / 2:
            return "less than two windows of sessions watched"
        return base, current
    base = Window(first, first + window)
    if current.start < base.end:
        return "the current window still overlaps the baseline (the first window watched)"
    return base, current


def time_series(
    rows: Sequence[WatchRow], metric: str, step: float
) -> list[tuple[float, MetricValue]]:
    """``metric`` per time step of ``step`` seconds: ``(step start, value)`` where it has one."""
    buckets: dict[float, list[WatchRow]] = {}
    for row in rows:
        buckets.setdefault(math.floor(row.at / step) * step, []).append(row)
    series: list[tuple[float, MetricValue]] = []
    for start in sorted(buckets):
        value = metric_value(buckets[start], metric)
        if value is not None:
            series.append((start, value))
    return series
