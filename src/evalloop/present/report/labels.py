"""The hook for sections that need human labels: agreement, learning curves, labelling cost.

evalloop has no human labels yet, so :func:`label_sections` returns nothing and the report
shows nothing for it. When labels land, this is the one place that turns them into sections
(each with its charts); the template already renders whatever it returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from markupsafe import Markup

from ...store import Store


@dataclass(frozen=True)
class ExtraSection:
    """A report section computed elsewhere: a title, an intro and inline SVG charts."""

    anchor: str
    title: str
    intro: str
    charts: list[Markup] = field(default_factory=list)


def label_sections(store: Store, run_id: str) -> list[ExtraSection]:
    """Agreement, learning-curve and cost sections from the run's human labels.

    Returns:
        Nothing for now: evalloop stores no labels yet. Once it does, one section per plot
        (judge/heuristic agreement with humans, the learned grader's learning curve, the cost
        of labelling), built from ``store`` for ``run_id``.
    """
    del store, run_id  # no labels exist yet
    return []
