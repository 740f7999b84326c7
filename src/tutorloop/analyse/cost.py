"""The cost in dollars of a grader's or an escalation policy's errors.

The Study Mode notebook's ``calculate_learning_cost`` (10,000 sessions × (fp_rate × $5 wasted
time + fn_rate × $20 missed learning + per-session cost)), generalised: the volume, both error
costs, a cost per human review of each flagged item and a run cost per item are parameters.

"Positive" means *needs attention* (escalate, a failed check, a bad turn). A false positive is
a false alarm (wasted time), a false negative a miss (missed learning); every flagged item,
right or wrong, costs one review when ``review_cost`` is set. Rates are fractions of all items,
as in the notebook.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from pydantic import BaseModel, ConfigDict, Field


class CostModel(BaseModel):
    """Dollar values of one period's errors (defaults: the notebook's)."""

    model_config = ConfigDict(extra="forbid")

    volume: int = Field(default=10_000, ge=0)
    """Items (sessions, turns) graded per period."""
    fp_cost: float = Field(default=5.0, ge=0)
    """A false alarm: time wasted on a good item flagged as bad."""
    fn_cost: float = Field(default=20.0, ge=0)
    """A miss: a bad item let through (missed learning)."""
    review_cost: float = Field(default=0.0, ge=0)
    """A human review of one flagged item."""
    run_cost: float = Field(default=0.0, ge=0)
    """Grading one item (model calls, compute): the notebook's ``per_session_cost``."""


class Confusion(BaseModel):
    """Counts of a binary decision against people: positive = needs attention."""

    model_config = ConfigDict(extra="forbid")

    tp: int = Field(default=0, ge=0)
    fp: int = Field(default=0, ge=0)
    fn: int = Field(default=0, ge=0)
    tn: int = Field(default=0, ge=0)

    @property
    def total(self) -> int:
        """All items."""
        return self.tp + self.fp + self.fn + self.tn

    @classmethod
    def of(cls, truth: Sequence[bool], flagged: Sequence[bool]) -> Confusion:
        """Counts of ``flagged`` against ``truth`` (both: True = needs attention)."""
        pairs = list(zip(truth, flagged, strict=True))
        return cls(
            tp=sum(t and f for t, f in pairs),
            fp=sum(f and not t for t, f in pairs),
            fn=sum(t and not f for t, f in pairs),
            tn=sum(not t and not f for t, f in pairs),
        )


class PolicyCost(BaseModel):
    """What one policy costs per period, and where the money goes."""

    policy: str
    fp_rate: float
    fn_rate: float
    flagged_rate: float
    wasted: float
    """False alarms × ``fp_cost``."""
    missed: float
    """Misses × ``fn_cost``."""
    review: float
    """Flagged items × ``review_cost``."""
    processing: float
    """Items × ``run_cost``."""
    total: float


def calculate_learning_cost(
    fp_rate: float, fn_rate: float, per_session_cost: float, model: CostModel | None = None
) -> float:
    """The notebook's function, unchanged in meaning; ``model`` overrides its constants."""
    m = (model or CostModel()).model_copy(update={"run_cost": per_session_cost})
    return _total(m, fp_rate, fn_rate, 0.0)


def _total(m: CostModel, fp_rate: float, fn_rate: float, flagged_rate: float) -> float:
    return m.volume * (
        fp_rate * m.fp_cost + fn_rate * m.fn_cost + flagged_rate * m.review_cost + m.run_cost
    )


def policy_cost(policy: str, confusion: Confusion, model: CostModel) -> PolicyCost:
    """The cost of a policy whose decisions on labelled items gave ``confusion``."""
    n = confusion.total or 1
    fp_rate, fn_rate = confusion.fp / n, confusion.fn / n
    flagged = (confusion.tp + confusion.fp) / n
    return PolicyCost(
        policy=policy,
        fp_rate=fp_rate,
        fn_rate=fn_rate,
        flagged_rate=flagged,
        wasted=model.volume * fp_rate * model.fp_cost,
        missed=model.volume * fn_rate * model.fn_cost,
        review=model.volume * flagged * model.review_cost,
        processing=model.volume * model.run_cost,
        total=_total(model, fp_rate, fn_rate, flagged),
    )


def compare_policies(
    confusions: Mapping[str, Confusion], model: CostModel, *, baselines: bool = True
) -> list[PolicyCost]:
    """Every policy's cost, cheapest first; with ``baselines``, also flag-all and flag-none.

    The baselines use the positives and negatives of the first confusion: "review everything"
    flags every item, "review nothing" flags none.
    """
    costs = [policy_cost(name, c, model) for name, c in confusions.items()]
    if baselines and confusions:
        first = next(iter(confusions.values()))
        positives, negatives = first.tp + first.fn, first.fp + first.tn
        everything = Confusion(tp=positives, fp=negatives)
        nothing = Confusion(fn=positives, tn=negatives)
        costs.append(policy_cost("review everything", everything, model))
        costs.append(policy_cost("review nothing", nothing, model))
    return sorted(costs, key=lambda c: c.total)


def confusion_of_labels(
    gold: Mapping[str, str], predicted: Mapping[str, str], positive: Iterable[str]
) -> Confusion:
    """Confusion of two label tables on shared items; ``positive`` values need attention."""
    bad = set(positive)
    shared = sorted(set(gold) & set(predicted))
    return Confusion.of([gold[i] in bad for i in shared], [predicted[i] in bad for i in shared])
