"""A label file in memory: its items, its labels and the labels still to be given."""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from tutorloop.records import HumanLabel, ReviewLabel, TurnItem


@dataclass
class LabelSet:
    """Items and human labels read from one file (any format ``labels import`` reads)."""

    path: str
    format: str
    items: dict[str, TurnItem] = field(default_factory=dict)
    """Every item the file describes, by ``item_id``."""
    labels: list[HumanLabel] = field(default_factory=list)
    """Labels with a value."""
    pending: list[HumanLabel] = field(default_factory=list)
    """Rows without a value yet (a labelling file written by ``tutorloop next``)."""
    sha256: str = ""
    """sha256 of the file's bytes: the training-data hash a learned grader records."""

    def dimensions(self) -> list[str]:
        """Dimensions with at least one label, in order of first appearance."""
        return list(dict.fromkeys(label.dimension for label in self.labels))

    def counts(self) -> dict[str, Counter[str]]:
        """``dimension → Counter(value)`` over every label."""
        out: dict[str, Counter[str]] = defaultdict(Counter)
        for label in self.labels:
            out[label.dimension][label.value or ""] += 1
        return dict(out)

    def raters(self) -> list[str]:
        """Every rater id, sorted."""
        return sorted({label.rater for label in self.labels})

    def label_source(self) -> str:
        """Who stands behind the labels: ``human``, ``author``, ``model``, or ``mixed``."""
        sources = {label.source for label in self.labels}
        return sources.pop() if len(sources) == 1 else ("mixed" if sources else "human")

    def by_item(self, dimension: str) -> dict[str, list[HumanLabel]]:
        """``item_id → labels`` of one dimension (one per rater)."""
        out: dict[str, list[HumanLabel]] = defaultdict(list)
        for label in self.labels:
            if label.dimension == dimension:
                out[label.item_id].append(label)
        return dict(out)

    def gold(self, dimension: str) -> dict[str, str]:
        """``item_id → the raters' majority value`` (ties: the value first given)."""
        gold: dict[str, str] = {}
        for item_id, labels in self.by_item(dimension).items():
            votes = Counter(label.value for label in labels if label.value is not None)
            top = max(votes.values())
            gold[item_id] = next(
                label.value for label in labels if label.value and votes[label.value] == top
            )
        return gold

    def group_of(self, item_id: str) -> str:
        """The dialogue an item belongs to: a hash of its history (or its id without history).

        Cross-validation folds and bootstrap resamples group by this, never by
        ``conversation_id``, which is not unique in MRBench.
        """
        item = self.items.get(item_id)
        if item is None or item.kind == "session" or not item.history:
            return item_id
        return hashlib.sha256(item.history.encode("utf-8")).hexdigest()[:16]


def review_labelset(labels: Iterable[ReviewLabel], name: str) -> LabelSet:
    """The reviewers' stored labels as a :class:`LabelSet` (``format`` ``store``).

    ``sha256`` hashes the labels' ids and values, so a learned grader trained on them records
    exactly which labels it saw.
    """
    labelset = LabelSet(path=name, format="store")
    digest = hashlib.sha256()
    for label in labels:
        labelset.labels.append(label.human_label())
        digest.update(f"{label.label_id}\t{label.item_id}\t{label.value}\n".encode())
        if label.item_id not in labelset.items:
            labelset.items[label.item_id] = TurnItem(
                item_id=label.item_id,
                kind="session" if label.turn is None else "turn",
                conversation_id=label.session_id,
                source=f"run {label.run_id}",
            )
    labelset.sha256 = digest.hexdigest()
    return labelset


def file_sha256(path: str) -> str:
    """sha256 of a file's bytes, streamed."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def label_lines(labels: Iterable[HumanLabel], items: dict[str, TurnItem]) -> Iterable[str]:
    """JSONL lines of ``labels``, each item attached to the first label that names it."""
    seen: set[str] = set()
    for label in labels:
        record = label
        if label.item_id not in seen and label.item is None and label.item_id in items:
            record = label.model_copy(update={"item": items[label.item_id]})
        seen.add(label.item_id)
        data = record.model_dump(mode="json", exclude_none=True)
        yield json.dumps(data, ensure_ascii=False) + "\n"
