"""What to label next: items where graders, models or repeated runs disagree, or sit on the fence.

Each (item, dimension) gets a priority from three signals, each in [0, 1]:

* **disagreement**: the share of voters (grader versions, models, runs) that do not give the
  most common label: 0 when all agree, near 1 when they are split;
* **uncertainty**: how close a grader's own probabilities are (1 − the margin between its two
  most likely labels), averaged over voters that give probabilities;
* **near threshold**: for a score with a decision threshold (a run's escalation: fidelity
  against 0.6), 1 when the score sits on the threshold, 0 at ``margin`` or further away.

priority = disagreement + 0.5 × uncertainty + 0.5 × near threshold. Items a person already
labelled on that dimension are skipped (:func:`labelled_by_people`): an author's or a model's
label is no evidence of agreement with people, so such items still wait for one.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from tutorloop.analyse.predictions import ESCALATE, Prediction
from tutorloop.records import HumanLabel


def labelled_by_people(labels: Iterable[HumanLabel]) -> set[tuple[str, str]]:
    """The (item, dimension) pairs a person has labelled (``source`` ``human``)."""
    return {(label.item_id, label.dimension) for label in labels if label.source == "human"}


@dataclass(frozen=True)
class Vote:
    """One voter's answer: a prediction and where it came from (a run id, a file)."""

    source: str
    prediction: Prediction


@dataclass
class Candidate:
    """An (item, dimension) worth labelling, with its signals and a readable reason."""

    item_id: str
    dimension: str
    priority: float
    disagreement: float
    uncertainty: float
    near_threshold: float
    votes: dict[str, str] = field(default_factory=dict)
    """``voter → label``."""

    @property
    def reason(self) -> str:
        """Why this item is on the list, in one line."""
        parts = []
        if self.disagreement:
            counts = Counter(self.votes.values())
            split = ", ".join(f"{label} ×{n}" for label, n in counts.most_common())
            parts.append(f"graders disagree ({split})")
        if self.uncertainty >= 0.5:
            parts.append(f"uncertain grader ({self.uncertainty:.2f})")
        if self.near_threshold:
            parts.append(f"near the threshold ({self.near_threshold:.2f})")
        return "; ".join(parts) or "no signal"


@dataclass(frozen=True)
class NextConfig:
    """How to rank: the threshold for escalation risk and how near counts as near."""

    risk_threshold: float = 0.4
    """Escalate when ``1 − fidelity`` reaches this (fidelity below 0.6)."""
    margin: float = 0.2


def _margin(scores: Mapping[str, float]) -> float | None:
    if len(scores) < 2:
        return None
    top = sorted(scores.values(), reverse=True)
    return 1.0 - (top[0] - top[1])


def rank_items(
    votes: Iterable[Vote],
    labelled: set[tuple[str, str]] | None = None,
    config: NextConfig | None = None,
) -> list[Candidate]:
    """Every unlabelled (item, dimension) with a signal, highest priority first."""
    cfg = config or NextConfig()
    done = labelled or set()
    table: dict[tuple[str, str], list[Vote]] = defaultdict(list)
    for vote in votes:
        key = (vote.prediction.item_id, vote.prediction.dimension)
        if key not in done:
            table[key].append(vote)
    out = []
    for (item_id, dimension), group in table.items():
        labels = {
            f"{v.source}:{v.prediction.grader}@{v.prediction.version}": v.prediction.label
            for v in group
        }
        counts = Counter(labels.values())
        disagreement = 1.0 - counts.most_common(1)[0][1] / len(labels) if len(labels) > 1 else 0.0
        margins = [m for v in group if (m := _margin(v.prediction.scores)) is not None]
        uncertainty = sum(margins) / len(margins) if margins else 0.0
        near = 0.0
        if dimension == ESCALATE:
            risks = [v.prediction.scores["yes"] for v in group if "yes" in v.prediction.scores]
            if risks:
                distance = min(abs(r - cfg.risk_threshold) for r in risks)
                near = max(0.0, 1.0 - distance / cfg.margin)
            uncertainty = 0.0  # its "probabilities" are fidelity, already read as nearness
        priority = disagreement + 0.5 * uncertainty + 0.5 * near
        if priority <= 0:
            continue
        out.append(
            Candidate(
                item_id, dimension, round(priority, 4), disagreement, uncertainty, near, labels
            )
        )
    out.sort(key=lambda c: (-c.priority, c.item_id, c.dimension))
    return out
