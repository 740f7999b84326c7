"""A reviewer's label on a stored run's item, and the audit line of every label write."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tutorloop.records._base import VersionedRecord
from tutorloop.records.labels import ESCALATE_DIMENSION, MRBENCH_DIMENSIONS, HumanLabel

OVERALL_DIMENSION = "overall"
"""The pseudo-dimension of a reviewer's overall verdict on a session (``pass``/``fail``)."""

CHECK_VALUES = ("pass", "fail")
ESCALATE_VALUES = ("yes", "no")


def allowed_values(dimension: str, turn: int | None) -> tuple[str, ...]:
    """The values a label of ``dimension`` may take (on a tutor turn when ``turn`` is set)."""
    if turn is not None:
        return MRBENCH_DIMENSIONS.get(dimension, ())
    if dimension == ESCALATE_DIMENSION:
        return ESCALATE_VALUES
    return CHECK_VALUES


class LabelInput(BaseModel):
    """One label as a reviewer or a script sends it (``POST /v1/labels``)."""

    model_config = ConfigDict(extra="forbid")

    run_id: str = Field(min_length=1, max_length=200)
    item_key: str = Field(min_length=1, max_length=500)
    """The run's item key (a session's key in the run, as the review queue lists it)."""
    dimension: str = Field(min_length=1, max_length=100)
    """A check name, ``overall``, ``escalate``, or an MRBench dimension on a ``turn``."""
    value: str = Field(min_length=1, max_length=100)
    turn: int | None = Field(default=None, ge=0)
    """The tutor turn's index in the session's turns (None: a label on the whole session)."""
    note: str | None = Field(default=None, max_length=4000)
    rater: str | None = Field(default=None, max_length=100)
    """Who labels; a reviewer's own token fixes it, only the admin token may name another."""

    def problem(self) -> str | None:
        """Why the value does not fit the dimension, or None."""
        if self.turn is not None and self.dimension not in MRBENCH_DIMENSIONS:
            known = ", ".join(MRBENCH_DIMENSIONS)
            return f"a turn label's dimension is one of {known}, not {self.dimension!r}"
        allowed = allowed_values(self.dimension, self.turn)
        if self.value not in allowed:
            shown = ", ".join(repr(v) for v in allowed)
            return f"{self.dimension} takes {shown}, not {self.value!r}"
        return None


class ReviewLabel(VersionedRecord):
    """A label as the store keeps it: the input, who gave it, when, and what they were shown."""

    SCHEMA_VERSION = 1

    label_id: int
    run_id: str
    item_key: str
    session_id: str | None = None
    item_id: str
    """What agreement calls the item: the session id of a logged session, else the item key;
    ``<that>/turn-<n>`` for a tutor turn."""
    dimension: str
    value: str
    turn: int | None = None
    note: str | None = None
    rater: str
    labelled_at: str
    """ISO 8601 UTC time the store received the label."""
    grader_versions: dict[str, str] = Field(default_factory=dict)
    """The graders (name: version) whose verdicts the item carried when it was labelled."""
    source: Literal["human"] = "human"
    """Labels from the review app come from people."""

    def human_label(self) -> HumanLabel:
        """The label as a :class:`HumanLabel` (what agreement, calibration and cost read)."""
        return HumanLabel(
            item_id=self.item_id,
            dimension=self.dimension,
            value=self.value,
            rater=self.rater,
            source=self.source,
            labelled_at=self.labelled_at,
            note=self.note,
        )


class LabelAudit(BaseModel):
    """One line of the label audit: who wrote which label, when, with which credential."""

    model_config = ConfigDict(extra="forbid")

    seq: int
    at: str
    actor: str
    """The reviewer's name, or ``admin``."""
    action: Literal["create"]
    label_id: int
    run_id: str
    item_key: str
