"""Human labels: one rater's value for one dimension of one item (a session or a tutor turn)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from tutorloop.records._base import Migration, VersionedRecord

ItemKind = Literal["session", "turn"]


class TurnItem(BaseModel):
    """What a label is about: a whole session, or one tutor turn ``(history, response)``."""

    model_config = ConfigDict(extra="forbid")

    item_id: str = Field(min_length=1)
    """Unique within a label file, e.g. ``<conversation_id>/<tutor>`` or a ``session_id``."""
    kind: ItemKind = "turn"
    conversation_id: str | None = None
    """The dialogue the turn belongs to (not necessarily unique across dialogues)."""
    tutor: str | None = None
    """Who wrote the response: a model name, ``Expert``, ``Novice``…"""
    history: str = ""
    """The dialogue before the response, as text."""
    response: str = ""
    """The tutor turn being labelled (empty for a session item)."""
    ground_truth: str | None = None
    """The reference solution of the problem, when the data set has one."""
    source: str | None = None
    """Where the dialogue comes from (e.g. ``MathDial``, ``Bridge``, a session file)."""


LabelSource = Literal["human", "author", "model"]
"""Who stands behind a label: ``human`` (independent raters, e.g. MRBench's annotators),
``author`` (whoever wrote the graders or the examples; agreement with them is not evidence),
``model`` (a model's labels)."""


def _label_source(data: dict[str, Any]) -> dict[str, Any]:
    """Version 1 → 2: labels gain ``source``; a version-1 label is taken as a person's."""
    data.setdefault("source", "human")
    return data


class HumanLabel(VersionedRecord):
    """One rater's label: (item id, dimension, value, rater, time); one line of a label file.

    Version 2 adds ``source``; version-1 lines are read as ``source="human"``.
    """

    SCHEMA_VERSION = 2
    MIGRATIONS: ClassVar[dict[int, Migration]] = {1: _label_source}

    item_id: str = Field(min_length=1)
    dimension: str = Field(min_length=1)
    """What is judged, e.g. ``Mistake_Identification`` or a Study Mode check name."""
    value: str | None = None
    """The label, e.g. ``Yes``/``To some extent``/``No`` or ``pass``/``fail``; None: to label."""
    rater: str = "unknown"
    """Who gave the label; several raters may label the same item and dimension."""
    source: LabelSource = "human"
    """Who stands behind the label; agreement with ``author`` or ``model`` labels is never
    shown as agreement with people."""
    labelled_at: str | None = None
    """ISO 8601 time of the label, when known."""
    item: TurnItem | None = None
    """The item itself; a file carries it on (at least) the first label of each item."""
    note: str | None = None
    """Free text: the rater's comment, or why ``tutorloop next`` asks for this label."""


MRBENCH_DIMENSIONS: dict[str, tuple[str, ...]] = {
    "Mistake_Identification": ("Yes", "To some extent", "No"),
    "Mistake_Location": ("Yes", "To some extent", "No"),
    "Revealing_of_the_Answer": (
        "Yes (and the answer is correct)",
        "Yes (but the answer is incorrect)",
        "No",
    ),
    "Providing_Guidance": ("Yes", "To some extent", "No"),
    "Actionability": ("Yes", "To some extent", "No"),
    "Coherence": ("Yes", "To some extent", "No"),
    "Tutor_Tone": ("Encouraging", "Neutral", "Offensive"),
    "humanlikeness": ("Yes", "To some extent", "No"),
}
"""The eight pedagogical dimensions of MRBench and the BEA 2025 shared task, with their labels."""


def lenient(value: str) -> str:
    """The lenient reading of a label: "To some extent" and every "Yes (…)" count as "Yes"."""
    if value == "To some extent" or value.startswith("Yes ("):
        return "Yes"
    return value


class LabelPrediction(VersionedRecord):
    """A grader's label for one dimension of one item: one line of ``learn predict``'s output."""

    SCHEMA_VERSION = 1

    conversation_id: str | None
    tutor: str | None
    dimension: str
    label: str
    """One of the dimension's label values."""
    probability: float = Field(ge=0.0, le=1.0)
    """The grader's probability (or confidence) for ``label``."""
    item_id: str
    grader: str
    """``heuristic`` or the learned model's name."""
    grader_version: str
    scores: dict[str, float] = Field(default_factory=dict)
    """Probability of every label value, when the grader gives them."""
    trained_on: str | None = None
    """For a learned grader: the sha256 of its training label file (to spot in-sample scores)."""


ESCALATE_DIMENSION = "escalate"
"""The pseudo-dimension of a session's escalation decision."""


def needs_attention(dimension: str, values: Iterable[str]) -> set[str]:
    """The label values that mean *needs attention* on ``dimension`` (for cost, calibration).

    ``escalate``: ``yes``; checks and graders: ``fail``; Revealing_of_the_Answer: any "Yes (…)";
    Tutor_Tone: ``Offensive``; the other MRBench dimensions: ``No``.
    """
    known = set(values) | set(MRBENCH_DIMENSIONS.get(dimension, ()))
    if dimension == ESCALATE_DIMENSION:
        return {"yes"}
    if "fail" in known:
        return {"fail"}
    if dimension == "Revealing_of_the_Answer":
        return {v for v in known if v.startswith("Yes")}
    if dimension == "Tutor_Tone":
        return {"Offensive"}
    return {"No"}
