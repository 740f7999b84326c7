"""Learned graders on MRBench V2: nested, dialogue-grouped 5-fold CV per dimension, two seeds.

Protocol: ``StratifiedGroupKFold`` by dialogue history (5 outer folds); inside each outer
training fold, 4 grouped inner folds tune the ensemble's per-class decision weights (and, with
``--select``, choose its members from a pool of 8 linear models), so nothing reported is
selected on the fold it is measured on. Features come only from the
dialogue (history + response): the reference solution is never read. Each figure is the mean
over two seeds (0 and 1, which reshuffle the outer and inner folds); ``seed gap`` is the
absolute difference between the two seeds' means.

For each dimension: exact and lenient macro-F1 of the learned grader (by default the ensemble
of three differently-featured logistic regressions: words, words + characters,
words + signals; ``--select`` for members chosen in the inner folds; ``--single`` for one
model with words, history and dialogue signals), of the turn heuristics (where rules grade the
dimension) and of the majority class; the CPU time to fit the learned grader on all folds of
both seeds; the aim where one is set; and, for the four dimensions the BEA 2025 shared task
scored, the ratio to the best published test-set score (a hidden test set, so a rough guide,
not like-for-like).

    python bench/learn.py                      # every dimension, 5 folds, seeds 0 and 1
    python bench/learn.py --dimensions Actionability --seeds 0
    python bench/learn.py --jobs 2             # (dimension, seed) runs in 2 processes
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time

from tutorloop.bundled import bundled_mrbench
from tutorloop.grade import CVReport, TrainConfig, grouped_cv, training_data
from tutorloop.load import LabelSet, read_labels

BEA_2025_BEST = {
    "Mistake_Identification": 0.718,
    "Mistake_Location": 0.598,
    "Providing_Guidance": 0.583,
    "Actionability": 0.709,
}
"""Best exact macro-F1 on the BEA 2025 shared task test set, per track."""

AIMS = {
    "Mistake_Identification": 0.62,
    "Mistake_Location": 0.55,
    "Providing_Guidance": 0.59,
    "Actionability": 0.60,
}
"""The learned grader's aimed exact macro-F1 (mean of two seeds)."""


def _cross_validate(
    labels: LabelSet, dimension: str, folds: int, seed: int, learner: str
) -> CVReport:
    """Grouped, nested CV of one dimension with one seed (one process of a parallel run)."""
    data = training_data(labels, dimension)
    config = TrainConfig(
        folds=folds, seed=seed, ensemble=learner != "single", select_members=learner == "selected"
    )
    return grouped_cv(data.items, data.labels, data.groups, dimension, config)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dimensions", nargs="*", default=None)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seeds", type=int, nargs="*", default=[0, 1])
    parser.add_argument("--single", action="store_true", help="one model instead of the ensemble")
    parser.add_argument(
        "--select", action="store_true", help="members chosen from the pool in inner folds"
    )
    parser.add_argument(
        "--jobs", type=int, default=1, help="processes for the (dimension, seed) runs (at most 2)"
    )
    args = parser.parse_args()
    jobs = max(1, min(args.jobs, 2))  # a shared 2-core machine: more processes only contend
    learner = "single" if args.single else "selected" if args.select else "fixed"
    described = {
        "single": "one model",
        "fixed": "ensemble of 3 fixed members",
        "selected": "ensemble chosen from a pool of 8",
    }

    labels = read_labels(bundled_mrbench())
    dimensions = args.dimensions or labels.dimensions()
    print(
        f"MRBench V2: {len(labels.items)} responses, "
        f"{len({labels.group_of(i) for i in labels.items})} dialogues; "
        f"{args.folds}-fold StratifiedGroupKFold by dialogue history, nested (4 inner folds "
        f"tune the decision weights{' and choose the members' if args.select else ''}), "
        f"seeds {args.seeds}; "
        f"learned = {described[learner]}"
    )
    header = (
        f"{'dimension':25} {'learned F1':>10} {'seed gap':>8} {'lenient':>8} {'rules F1':>9} "
        f"{'majority':>9} {'fit CPU s':>9} {'aim':>5} {'met':>4} {'vs BEA best':>11}"
    )
    print(header)
    print("-" * len(header))
    wall = time.perf_counter()
    from joblib import Parallel, delayed

    runs = [(dimension, seed) for dimension in dimensions for seed in args.seeds]
    done = Parallel(n_jobs=jobs)(
        delayed(_cross_validate)(labels, dimension, args.folds, seed, learner)
        for dimension, seed in runs
    )
    by_run = dict(zip(runs, done, strict=True))
    for dimension in dimensions:
        reports = [by_run[dimension, seed] for seed in args.seeds]

        def mean(grader: str, metric: str, reports: list[CVReport] = reports) -> float:
            return statistics.fmean(r.mean(grader, metric) for r in reports)

        def cell(value: float) -> str:
            return "—" if value != value else f"{value:.3f}"

        per_seed = [r.mean("learned", "macro_f1") for r in reports]
        learned = statistics.fmean(per_seed)
        gap = max(per_seed) - min(per_seed)
        best = BEA_2025_BEST.get(dimension)
        ratio = f"{learned / best:.2f} ({best})" if best else ""
        aim = AIMS.get(dimension)
        met = ("yes" if learned >= aim else "no") if aim else ""
        print(
            f"{dimension:25} {cell(learned):>10} {gap:>8.3f} "
            f"{cell(mean('learned', 'lenient_macro_f1')):>8} "
            f"{cell(mean('heuristic', 'macro_f1')):>9} {cell(mean('majority', 'macro_f1')):>9} "
            f"{sum(r.fit_seconds for r in reports):>9.2f} {aim or '':>5} {met:>4} {ratio:>11}"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"total wall {time.perf_counter() - wall:.1f} s with {jobs} process(es); "
        f"peak RSS {max(peak, children):.0f} MiB per process"
    )


if __name__ == "__main__":
    main()
