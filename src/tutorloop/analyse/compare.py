"""A/B comparison of two sets of results on the same sessions, with paired statistics.

The two sides are two runs, or two conditions of one run (base vs overlay). Items are paired by
session (and persona, for simulated learners). For each check: pass rates on both sides and an
exact McNemar test on the discordant pairs (scipy's binomial test). For the fidelity score: the
mean paired difference with a 95 % paired bootstrap interval (numpy). Sessions that got worse
are listed first, with the checks they newly failed and the evidence.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from statistics import fmean

from pydantic import BaseModel, Field

from tutorloop.records import EvalResult

BOOTSTRAP_RESAMPLES = 10_000
SEED = 20261130


class CheckComparison(BaseModel):
    """One check on both sides."""

    name: str
    pass_rate_a: float
    pass_rate_b: float
    a_only: int
    """Pairs where only side A passed (B got worse)."""
    b_only: int
    """Pairs where only side B passed (B got better)."""
    mcnemar_p: float | None
    """Exact two-sided McNemar p-value; None without discordant pairs."""


class PairDelta(BaseModel):
    """One session on both sides."""

    pair: str
    key_a: str
    key_b: str
    fidelity_a: float
    fidelity_b: float
    delta: float
    newly_failed: list[str]
    evidence: list[str] = Field(default_factory=list)


class Comparison(BaseModel):
    """Side A against side B."""

    label_a: str
    label_b: str
    pairs: int
    unpaired_a: int
    unpaired_b: int
    fidelity_mean_a: float | None
    fidelity_mean_b: float | None
    delta: float | None
    """Mean of ``fidelity_b − fidelity_a`` over the pairs."""
    ci_low: float | None
    ci_high: float | None
    checks: list[CheckComparison]
    worse: list[PairDelta]
    """Pairs whose fidelity dropped, worst first (capped)."""
    worse_count: int
    better_count: int


@dataclass(frozen=True, slots=True)
class _Side:
    key: str
    fidelity: float
    passed: dict[str, bool]
    evidence: dict[str, str]


def pair_key(result: EvalResult, key: str) -> str:
    """What pairs two results: the session, plus the simulated learner's persona if any."""
    parts = key.split("|")
    persona = parts[3] if len(parts) > 3 else ""
    return f"{result.session_id}|{persona}" if persona else result.session_id


def compare_results(
    side_a: Iterable[tuple[str, EvalResult | None]],
    side_b: Iterable[tuple[str, EvalResult | None]],
    *,
    label_a: str = "A",
    label_b: str = "B",
    max_listed: int = 50,
) -> Comparison:
    """Compare two streams of ``(item_key, result)``; errored items (None) are left out."""
    a = _index(side_a)
    b = _index(side_b)
    common = [k for k in a if k in b]
    deltas = [b[k].fidelity - a[k].fidelity for k in common]
    checks = sorted(
        {n for k in common for n in a[k].passed} & {n for k in common for n in b[k].passed}
    )
    listed = []
    for k in common:
        delta = b[k].fidelity - a[k].fidelity
        if delta < 0:
            failed = [n for n in checks if a[k].passed.get(n) and b[k].passed.get(n) is False]
            evidence = [f"{n}: {b[k].evidence[n]}" for n in failed if b[k].evidence.get(n)]
            listed.append(
                PairDelta(
                    pair=k,
                    key_a=a[k].key,
                    key_b=b[k].key,
                    fidelity_a=a[k].fidelity,
                    fidelity_b=b[k].fidelity,
                    delta=delta,
                    newly_failed=failed,
                    evidence=evidence,
                )
            )
    listed.sort(key=lambda p: (p.delta, p.pair))
    low, high = _bootstrap(deltas)
    return Comparison(
        label_a=label_a,
        label_b=label_b,
        pairs=len(common),
        unpaired_a=len(a) - len(common),
        unpaired_b=len(b) - len(common),
        fidelity_mean_a=fmean(a[k].fidelity for k in common) if common else None,
        fidelity_mean_b=fmean(b[k].fidelity for k in common) if common else None,
        delta=fmean(deltas) if common else None,
        ci_low=low,
        ci_high=high,
        checks=[_check(name, [(a[k], b[k]) for k in common]) for name in checks],
        worse=listed[:max_listed],
        worse_count=len(listed),
        better_count=sum(1 for d in deltas if d > 0),
    )


def _index(results: Iterable[tuple[str, EvalResult | None]]) -> dict[str, _Side]:
    index: dict[str, _Side] = {}
    for key, result in results:
        if result is None:
            continue
        index[pair_key(result, key)] = _Side(
            key=key,
            fidelity=result.pedagogical_fidelity_score,
            passed={c.name: c.passed for c in result.checks if c.verdict != "unsure"},
            evidence={c.name: c.evidence[0].text for c in result.checks if c.evidence},
        )
    return index


def _check(name: str, pairs: list[tuple[_Side, _Side]]) -> CheckComparison:
    both = [
        (a.passed[name], b.passed[name]) for a, b in pairs if name in a.passed and name in b.passed
    ]
    a_only = sum(1 for x, y in both if x and not y)
    b_only = sum(1 for x, y in both if y and not x)
    p_value = _mcnemar(a_only, b_only)
    n = len(both) or 1
    return CheckComparison(
        name=name,
        pass_rate_a=sum(x for x, _ in both) / n,
        pass_rate_b=sum(y for _, y in both) / n,
        a_only=a_only,
        b_only=b_only,
        mcnemar_p=p_value,
    )


def _mcnemar(a_only: int, b_only: int) -> float | None:
    """Exact two-sided McNemar p-value (a binomial test on the discordant pairs)."""
    if not a_only + b_only:
        return None
    from scipy.stats import binomtest  # scipy loads only when a comparison runs

    return float(binomtest(min(a_only, b_only), a_only + b_only, 0.5).pvalue)


def _bootstrap(values: Sequence[float]) -> tuple[float | None, float | None]:
    """95 % percentile interval of the mean paired difference (fixed seed: reproducible)."""
    if not values:
        return None, None
    if len(values) == 1:
        return float(values[0]), float(values[0])
    import numpy as np

    deltas = np.asarray(values, dtype=float)
    rng = np.random.default_rng(SEED)
    chunk = max(1, 2_000_000 // deltas.size)  # bounded memory, however many pairs
    means = np.empty(BOOTSTRAP_RESAMPLES)
    for start in range(0, BOOTSTRAP_RESAMPLES, chunk):
        stop = min(start + chunk, BOOTSTRAP_RESAMPLES)
        picks = rng.integers(0, deltas.size, size=(stop - start, deltas.size))
        means[start:stop] = deltas[picks].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(low), float(high)
