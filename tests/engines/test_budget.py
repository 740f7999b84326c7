"""The cluster-wide budget: limits split across actors never sum past the configured ones."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tutorloop.engines import split_budget
from tutorloop.generate import CallPolicy


def test_limits_are_split_evenly_and_round_down():
    budget = split_budget(CallPolicy(concurrency=8, rps=10.0), actors=3)
    assert budget.actors == 3
    assert budget.per_actor.concurrency == 2
    assert budget.per_actor.rps == pytest.approx(10.0 / 3)
    assert budget.total_concurrency == 6


def test_more_actors_than_calls_in_flight_shrinks_the_pool():
    budget = split_budget(CallPolicy(concurrency=2, rps=1.0), actors=5)
    assert (budget.actors, budget.per_actor.concurrency) == (2, 1)
    assert budget.per_actor.rps == 0.5


def test_no_rate_limit_stays_unlimited():
    assert split_budget(CallPolicy(concurrency=4), actors=2).total_rps is None


@given(
    st.integers(min_value=1, max_value=500),
    st.one_of(st.none(), st.floats(min_value=0.01, max_value=1000)),
    st.integers(min_value=1, max_value=64),
)
def test_totals_never_exceed_the_limits(concurrency, rps, actors):
    budget = split_budget(CallPolicy(concurrency=concurrency, rps=rps), actors)
    assert 1 <= budget.actors <= actors
    assert budget.per_actor.concurrency >= 1
    assert budget.total_concurrency <= concurrency
    if rps is not None:
        assert budget.total_rps == pytest.approx(rps)
