"""The report's sections built from human labels: grader agreement and the cost of errors.

Given a label file (``tutorloop report --labels FILE``), :func:`label_sections` measures every
grader version of the run against the labels (Cohen's κ per dimension, with 95 % bootstrap
intervals over dialogues) and prices the escalation policy's errors against "review everything"
and "review nothing" (the default cost model: $5 per false alarm, $20 per miss, 10,000 items).
Without a label file it returns nothing and the report shows nothing for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import altair as alt
from markupsafe import Markup

from tutorloop.analyse import (
    ESCALATE,
    AgreementScore,
    Confusion,
    CostModel,
    PolicyCost,
    agreement,
    compare_policies,
    gold_table,
    predictions_from_results,
)
from tutorloop.load import read_labels
from tutorloop.present.report.charts import to_svg
from tutorloop.store import Store


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
        return []
    labels = read_labels(labels_path)
    gold = gold_table({d: labels.gold(d) for d in labels.dimensions()})
    predictions = list(predictions_from_results(store.iter_results(run_id), run_id))
    scores = [s for s in agreement(gold, predictions, labels.group_of) if s.kappa is not None]
    name = Path(labels_path).name
    if not scores:
        return [
            ExtraSection(
                "agreement",
                "Agreement with human labels",
                f"No graded item of this run has a label in {name} with more than one value.",
            )
        ]
    sections = [
        ExtraSection(
            "agreement",
            "Agreement with human labels",
            f"Cohen's κ of each grader version against {len(labels.items)} labelled items of "
            f"{name}, with 95 % bootstrap intervals over dialogues (1 = perfect, 0 = chance).",
            [_kappa_chart(scores)],
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
                [_cost_chart(costs)],
            )
        )
    return sections


def _kappa_chart(scores: list[AgreementScore]) -> Markup:
    rows = [
        {
            "row": f"{s.dimension} · {s.grader}",
            "kappa": s.kappa,
            "low": s.ci.get("kappa", (s.kappa, s.kappa))[0],
            "high": s.ci.get("kappa", (s.kappa, s.kappa))[1],
        }
        for s in scores
    ]
    data = alt.InlineData(values=rows)
    y = alt.Y("row:N", title=None, sort=None)
    bars = (
        alt.Chart(data)
        .mark_bar(color="#2f6fdb", opacity=0.85)
        .encode(x=alt.X("kappa:Q", title="Cohen's κ", scale=alt.Scale(domain=[-0.2, 1])), y=y)
    )
    interval = alt.Chart(data).mark_rule(color="#333").encode(x="low:Q", x2="high:Q", y=y)
    chart = (bars + interval).properties(width=420, height=alt.Step(18))
    return to_svg(chart)


def _cost_chart(costs: list[PolicyCost]) -> Markup:
    rows = [{"policy": c.policy, "total": round(c.total, 2)} for c in costs]
    chart = (
        alt.Chart(alt.InlineData(values=rows))
        .mark_bar(color="#e8833a")
        .encode(
            x=alt.X("total:Q", title="dollars per period"),
            y=alt.Y("policy:N", title=None, sort=None),
        )
        .properties(width=420, height=alt.Step(22))
    )
    return to_svg(chart)
