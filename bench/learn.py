"""Learned graders on MRBench V2: grouped 5-fold CV per dimension, against rules and majority.

For each dimension: exact and lenient macro-F1 (mean over folds grouped by dialogue history)
of the learned grader (TF-IDF + rule signals + class-balanced logistic regression), the turn
heuristics (where rules grade the dimension) and the majority class; the CPU time to fit the
learned grader on all folds; and, for the four dimensions the BEA 2025 shared task scored, the
ratio of the learned grader's exact macro-F1 to the best published test-set score. The
published scores are on the shared task's hidden test set, so the ratio is a rough guide, not a
like-for-like comparison.

    python bench/learn.py                      # every dimension, 5 folds
    python bench/learn.py --dimensions Actionability --folds 5
"""

from __future__ import annotations

import argparse
import resource
import time

from tutorloop.bundled import bundled_mrbench
from tutorloop.grade import TrainConfig, grouped_cv, training_data
from tutorloop.load import read_labels

BEA_2025_BEST = {
    "Mistake_Identification": 0.718,
    "Mistake_Location": 0.598,
    "Providing_Guidance": 0.583,
    "Actionability": 0.709,
}
"""Best exact macro-F1 on the BEA 2025 shared task test set, per track."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dimensions", nargs="*", default=None)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--char-ngrams", action="store_true", help="add character n-grams")
    args = parser.parse_args()

    labels = read_labels(bundled_mrbench())
    config = TrainConfig(folds=args.folds, char_ngrams=args.char_ngrams)
    dimensions = args.dimensions or labels.dimensions()
    print(
        f"MRBench V2: {len(labels.items)} responses, "
        f"{len({labels.group_of(i) for i in labels.items})} dialogues; "
        f"{args.folds}-fold StratifiedGroupKFold by dialogue history"
    )
    header = (
        f"{'dimension':25} {'learned F1':>10} {'lenient':>8} {'rules F1':>9} {'lenient':>8} "
        f"{'majority':>9} {'lenient':>8} {'fit CPU s':>9} {'vs BEA best':>11}"
    )
    print(header)
    print("-" * len(header))
    wall = time.perf_counter()
    for dimension in dimensions:
        data = training_data(labels, dimension)
        report = grouped_cv(data.items, data.labels, data.groups, dimension, config)

        def cell(grader: str, metric: str, report: object = report) -> str:
            value = report.mean(grader, metric)  # type: ignore[attr-defined]
            return "—" if value != value else f"{value:.3f}"

        learned = report.mean("learned", "macro_f1")
        best = BEA_2025_BEST.get(dimension)
        ratio = f"{learned / best:.2f} ({best})" if best else ""
        print(
            f"{dimension:25} {cell('learned', 'macro_f1'):>10} "
            f"{cell('learned', 'lenient_macro_f1'):>8} {cell('heuristic', 'macro_f1'):>9} "
            f"{cell('heuristic', 'lenient_macro_f1'):>8} {cell('majority', 'macro_f1'):>9} "
            f"{cell('majority', 'lenient_macro_f1'):>8} {report.fit_seconds:>9.2f} {ratio:>11}"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"total wall {time.perf_counter() - wall:.1f} s; peak RSS {peak:.0f} MiB")


if __name__ == "__main__":
    main()
