"""Agreement, calibration, cost and what to label next, on small hand-made cases."""

import pytest

from tutorloop.analyse import (
    Confusion,
    CostModel,
    Prediction,
    Vote,
    agreement,
    calculate_learning_cost,
    calibrate,
    compare_policies,
    gold_table,
    policy_cost,
    rank_items,
    rater_agreement,
    score_labels,
)


def notebook(fp_rate, fn_rate, per_session_cost):
    return 10000 * fp_rate * 5 + 10000 * fn_rate * 20 + 10000 * per_session_cost


def test_perfect_and_lenient_agreement():
    truth = ["Yes", "No", "To some extent", "Yes"]
    perfect = score_labels(truth, truth)
    assert perfect["accuracy"] == perfect["macro_f1"] == perfect["kappa"] == 1.0
    lenient_only = score_labels(truth, ["Yes", "No", "Yes", "Yes"])
    assert lenient_only["macro_f1"] < 1.0 and lenient_only["lenient_macro_f1"] == 1.0
    assert lenient_only["confusion"] == [[1, 0, 0], [0, 0, 1], [0, 0, 2]]


def test_agreement_per_grader_version_with_intervals_over_dialogues():
    gold = gold_table({"d": {f"i{n}": "Yes" if n % 2 else "No" for n in range(40)}})
    predictions = [
        Prediction(f"i{n}", "d", "Yes" if n % 2 else "No", "g", "v1") for n in range(40)
    ] + [Prediction(f"i{n}", "d", "Yes", "g", "v2") for n in range(40)]
    scores = agreement(gold, predictions, lambda item: item[:2], resamples=50)
    by_version = {s.version: s for s in scores}
    assert by_version["v1"].kappa == 1.0 and by_version["v1"].n == 40
    assert by_version["v2"].kappa == 0.0 and by_version["v2"].accuracy == 0.5
    low, high = by_version["v2"].ci["accuracy"]
    assert 0.0 <= low <= 0.5 <= high <= 1.0


def test_kappa_is_none_when_one_label_is_everywhere():
    gold = gold_table({"d": {"a": "pass", "b": "pass"}})
    (score,) = agreement(gold, [Prediction(i, "d", "pass", "g", "v") for i in "ab"], str)
    assert score.kappa is None and score.accuracy == 1.0


def test_rater_agreement_between_pairs():
    table = {"a": {"ana": "Yes", "ben": "Yes"}, "b": {"ana": "No", "ben": "Yes"}}
    (pair,) = rater_agreement(table, "d")
    assert (pair.rater_a, pair.rater_b, pair.n, pair.percent_agreement) == ("ana", "ben", 2, 0.5)


@pytest.mark.parametrize("rates", [(0.1, 0.05, 0.01), (0.0, 0.0, 0.0), (1 / 12, 1 / 8, 0.003)])
def test_calculate_learning_cost_is_the_notebooks(rates):
    assert calculate_learning_cost(*rates) == pytest.approx(notebook(*rates))


def test_policy_cost_adds_reviews_and_orders_policies():
    model = CostModel(volume=1000, review_cost=1.0)
    grader = Confusion(tp=10, fp=5, fn=5, tn=80)
    cost = policy_cost("g", grader, model)
    assert cost.wasted == 1000 * 0.05 * 5 and cost.missed == 1000 * 0.05 * 20
    assert cost.review == 1000 * 0.15 * 1.0 and cost.total == cost.wasted + cost.missed + 150
    ranked = compare_policies({"g": grader}, model)
    assert ranked[0].policy == "g"
    assert {c.policy for c in ranked} == {"g", "review everything", "review nothing"}
    assert ranked == sorted(ranked, key=lambda c: c.total)


def test_calibration_finds_the_separating_threshold():
    truth = [False, False, False, True, True]
    scores = [0.1, 0.2, 0.35, 0.5, 0.9]
    by_kappa = calibrate(truth, scores, "kappa", current=0.2)
    assert by_kappa.best.kappa == 1.0 and 0.35 < by_kappa.best.threshold <= 0.5
    assert by_kappa.current is not None and by_kappa.current.confusion.fp == 2
    expensive_misses = CostModel(fp_cost=1, fn_cost=1000)
    by_cost = calibrate(truth, scores, "cost", expensive_misses)
    assert by_cost.best.confusion.fn == 0


def test_next_ranks_disagreement_first_and_skips_labelled():
    def vote(source, item, label, scores=None):
        return Vote(source, Prediction(item, "d", label, "g", "v", scores or {}))

    votes = [
        vote("run1", "split", "pass"),
        vote("run2", "split", "fail"),
        vote("run1", "agreed", "pass"),
        vote("run2", "agreed", "pass"),
        vote("run1", "unsure", "pass", {"pass": 0.52, "fail": 0.48}),
        vote("run1", "done", "pass"),
        vote("run2", "done", "fail"),
    ]
    ranked = rank_items(votes, labelled={("done", "d")})
    assert [c.item_id for c in ranked] == ["split", "unsure"]
    assert "disagree" in ranked[0].reason and "uncertain" in ranked[1].reason


def test_the_bootstrap_scores_are_scikit_learns_metrics() -> None:
    import random

    import numpy as np

    from tutorloop.analyse.agreement import _Coded, _scores

    rng = random.Random(7)
    values = ["Yes", "No", "To some extent", "Yes (partly)"]
    for case in range(300):
        n = rng.randint(1, 30)
        used = rng.sample(values, rng.randint(1, len(values)))
        truth = [rng.choice(used) for _ in range(n)]
        guess = [rng.choice(used) for _ in range(n)]
        labels = sorted(set(truth) | set(guess))
        idx = np.array([rng.randrange(n) for _ in range(rng.randint(1, n))])
        fast = _Coded(truth, guess, labels).scores(idx)
        slow = _scores([truth[i] for i in idx], [guess[i] for i in idx], labels)
        for metric, value in slow.items():
            if np.isnan(value):
                assert np.isnan(fast[metric]), (case, metric)
            else:
                assert fast[metric] == pytest.approx(value, abs=1e-12), (case, metric)
