"""Graders against human labels, in dollars: thresholds, policy costs, what to label next.

The logic behind ``tutorloop calibrate``, ``cost`` and ``next``, callable without the CLI. A
:class:`GraderQuery` names the graders (stored runs, predictions files, turn graders) and the
dimension; :func:`graded_pairs` lines their predictions up with the labels, and the other
functions price or rank them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from tutorloop.analyse.calibration import Calibration, Objective, calibrate
from tutorloop.analyse.cost import Confusion, CostModel, PolicyCost, compare_policies
from tutorloop.analyse.labelling import collect_votes, turn_items
from tutorloop.analyse.next_items import Candidate, rank_items
from tutorloop.analyse.predictions import ESCALATE, Prediction
from tutorloop.errors import UserError
from tutorloop.load import LabelSet, write_labels
from tutorloop.records import HumanLabel, TurnItem, needs_attention

CURRENT_THRESHOLD = {ESCALATE: 0.4}
"""The threshold in use when none is given: fidelity < 0.6 escalates; 0.5 elsewhere."""


class GraderQuery(BaseModel):
    """Which graders' answers to hold against the labels, and on which dimension."""

    model_config = ConfigDict(extra="forbid")

    dimension: str = ESCALATE
    runs: list[str] = Field(default_factory=list)
    """Stored run ids or ``learn predict`` predictions files."""
    models: list[str] = Field(default_factory=list)
    """Turn graders: ``heuristic``, ``judge:<provider/model>`` or a learned grader folder."""
    store_path: Path | None = None
    positive: list[str] | None = None
    """Label values that need attention; by default :func:`needs_attention`'s."""


@dataclass(frozen=True)
class GradedPairs:
    """Per grader version, (needs attention per people, the grader's prediction) by item."""

    positive: set[str]
    """The label values that count as needing attention."""
    by_grader: dict[tuple[str, str], list[tuple[bool, Prediction]]]


def attention_probability(prediction: Prediction, positive: set[str]) -> float | None:
    """The grader's probability that the item needs attention, when it gives one."""
    scores = prediction.scores
    if not scores:
        return None
    if set(scores) >= positive or len(scores) > 1:
        return min(1.0, sum(p for label, p in scores.items() if label in positive))
    (label, p), *_ = scores.items()
    return p if label in positive else 1.0 - p


def graded_pairs(labelset: LabelSet, query: GraderQuery) -> GradedPairs:
    """Every grader's predictions on the items people labelled on ``query.dimension``.

    Raises:
        UserError: no labels on the dimension, or no grader graded a labelled item.
    """
    dimension = query.dimension
    gold = labelset.gold(dimension)
    if not gold:
        known = ", ".join(labelset.dimensions()) or "none"
        raise UserError(f"{labelset.path}: no labels for {dimension!r}; dimensions: {known}")
    bad = set(query.positive) if query.positive else needs_attention(dimension, gold.values())
    table: dict[tuple[str, str], list[tuple[bool, Prediction]]] = defaultdict(list)
    items = turn_items(labelset)
    for vote in collect_votes(query.runs, query.models, items, query.store_path, [dimension]):
        p = vote.prediction
        if p.dimension == dimension and p.item_id in gold:
            table[p.key].append((gold[p.item_id] in bad, p))
    if not table:
        raise UserError(f"no grader graded an item labelled on {dimension!r}; check the item ids")
    return GradedPairs(bad, dict(table))


def calibrate_graders(
    labelset: LabelSet,
    query: GraderQuery,
    objective: Objective,
    costs: CostModel,
    current: float | None = None,
) -> dict[str, Calibration]:
    """``"<grader> <version>"`` → its best threshold by ``objective``, for graders with scores.

    ``current`` is the threshold in use now (default 0.4 on ``escalate``, else 0.5).

    Raises:
        UserError: no labels, no grader on the labelled items, or none gives scores.
    """
    pairs = graded_pairs(labelset, query)
    now = CURRENT_THRESHOLD.get(query.dimension, 0.5) if current is None else current
    results: dict[str, Calibration] = {}
    for (grader, version), rows in sorted(pairs.by_grader.items()):
        risks = [attention_probability(p, pairs.positive) for _, p in rows]
        if any(r is None for r in risks):
            continue
        truth = [t for t, _ in rows]
        results[f"{grader} {version}"] = calibrate(
            truth, [r or 0.0 for r in risks], objective, costs, now
        )
    if not results:
        raise UserError(f"no grader gives scores on {query.dimension!r}: nothing to calibrate")
    return results


def policy_costs(labelset: LabelSet, query: GraderQuery, costs: CostModel) -> list[PolicyCost]:
    """Each grader as a policy, its cheapest threshold when it has scores, and the baselines.

    Raises:
        UserError: no labels on the dimension, or no grader graded a labelled item.
    """
    pairs = graded_pairs(labelset, query)
    confusions: dict[str, Confusion] = {}
    for (grader, version), rows in sorted(pairs.by_grader.items()):
        name = f"{grader} {version}"
        truth = [t for t, _ in rows]
        confusions[name] = Confusion.of(truth, [p.label in pairs.positive for _, p in rows])
        risks = [attention_probability(p, pairs.positive) for _, p in rows]
        if all(r is not None for r in risks) and len(set(risks)) > 1:
            tuned = calibrate(truth, [r or 0.0 for r in risks], "cost", costs)
            label = f"{name} @ threshold {tuned.best.threshold:.2f}"
            confusions[label] = tuned.best.confusion
    return compare_policies(confusions, costs)


def rank_next(
    query: GraderQuery,
    items: dict[str, TurnItem],
    labelled: set[tuple[str, str]] | None = None,
    n: int = 50,
) -> list[Candidate]:
    """The ``n`` unlabelled (item, dimension) pairs most worth labelling next.

    ``query.models`` grade the turn items of ``items``; ``query.runs`` bring their own
    predictions. ``query.dimension`` is not used: every dimension is ranked.

    Raises:
        UserError: turn graders are named but ``items`` holds no tutor turn.
    """
    turns = [i for i in items.values() if i.kind == "turn" and i.response]
    if query.models and not turns:
        raise UserError("--model grades turns: give --input or --labels with turns")
    votes = collect_votes(query.runs, query.models, turns, query.store_path)
    return rank_items(votes, labelled or set())[:n]


def write_next_file(
    candidates: list[Candidate], items: dict[str, TurnItem], out: Path
) -> tuple[Path, int]:
    """Write the labelling file (tutorloop JSONL, ``value`` left empty); return path and count."""
    labels = [
        HumanLabel(
            item_id=c.item_id,
            dimension=c.dimension,
            value=None,
            note=f"priority {c.priority:.2f}: {c.reason}",
        )
        for c in candidates
    ]
    known = dict(items)
    for c in candidates:
        if c.item_id not in known:
            kind = "turn" if "#" in c.item_id else "session"
            known[c.item_id] = TurnItem(item_id=c.item_id, kind=kind)
    return write_labels(out, labels, known), len(labels)
