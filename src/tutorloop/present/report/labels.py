"""The report's sections built from human labels: grader agreement and the cost of errors.

Given a label file (``tutorloop report --labels FILE``), :func:`label_sections` measures every
grader version of the run against the labels (Cohen's κ per dimension, with 95 % bootstrap
intervals over dialogues) and prices the escalation policy's errors against "review everything"
and "review nothing" (the default cost model: $5 per false alarm, $20 per miss, 10,000 items).
Without a label file it reads the labels reviewers gave the run's items in the review app (the
store's labels); with none, the report shows nothing for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from markupsafe import Markup

from tutorloop.analyse import (
    ESCALATE,
    Confusion,
    CostModel,
    agreement,
    agreement_title,
    compare_policies,
    gold_table,
    predictions_from_results,
)
from tutorloop.load import read_labels, review_labelset
from tutorloop.store import Store

_WHO = {
    "human": "people",
    "author": "the authors of the graders (so a high κ here is not evidence about people)",
    "model": "a model",
}


@dataclass(frozen=True)
class ExtraSection:
    """A report section computed elsewhere: a title, an intro and inline SVG charts."""

    anchor: str
    title: str
    intro: str
    charts: list[Markup] = field(default_factory=list)


def label_sections(
    store: Store, run_id: str, labels_path: Path | str | None = None
) -> list[ExtraSection]:
    """Agreement and cost sections of ``run_id`` against the labels in ``labels_path``.

    Raises:
        InputProblems: the label file has bad rows.
    """
    if labels_path is None:
        stored = store.labels.current(run_id)
        if not stored:
            return []
        labels = review_labelset(stored, f"reviewers' labels of run {run_id}")
    else:
        labels = read_labels(labels_path)
    from tutorloop.present.report import charts  # altair and vl-convert load only to draw

    gold = gold_table({d: labels.gold(d) for d in labels.dimensions()})
    predictions = list(predictions_from_results(store.iter_results(run_id), run_id))
    source = labels.label_source()
    found = agreement(gold, predictions, labels.group_of, label_source=source)
    scores = [s for s in found if s.kappa is not None]
    name = Path(labels_path).name if labels_path is not None else labels.path
    title = agreement_title(source)
    title = title[0].upper() + title[1:]
    if not scores:
        return [
            ExtraSection(
                "agreement",
                title,
                f"No graded item of this run has a label in {name} with more than one value.",
            )
        ]
    sections = [
        ExtraSection(
            "agreement",
            title,
            f"Cohen's κ of each grader version against {len(labels.items)} items of {name} "
            f"labelled by {_WHO.get(source, source)}, with 95 % bootstrap intervals over "
            "dialogues (1 = perfect, 0 = chance).",
            [charts.kappa_chart(scores)],
        )
    ]
    truth = labels.gold(ESCALATE)
    flagged = {p.item_id: p.label == "yes" for p in predictions if p.dimension == ESCALATE}
    shared = sorted(set(truth) & set(flagged))
    if shared:
        model = CostModel()
        confusion = Confusion.of([truth[i] == "yes" for i in shared], [flagged[i] for i in shared])
        costs = compare_policies({"escalation policy": confusion}, model)
        sections.append(
            ExtraSection(
                "cost",
                "The cost of the escalation policy's errors",
                f"Per {model.volume:,} items: ${model.fp_cost:g} per false alarm, "
                f"${model.fn_cost:g} per miss, on the {len(shared)} labelled items "
                "(tutorloop cost prices other volumes, reviews and runs).",
                [charts.cost_chart(costs)],
            )
        )
    return sections
