"""What the runner hands the store for one item: its result, its grades, or its error."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from tutorloop.records import EvalResult, Grade, GraderError, ReplayArtifact, Session

__all__ = ["ItemOutcome"]


@dataclass(frozen=True)
class ItemOutcome:
    """The outcome of grading one item; stored with its done-mark in one transaction.

    ``error`` set means the item is stored with status ``error`` (a ``result`` may still be
    present, e.g. when only some graders failed). An outcome needs a result or an error.
    """

    item_key: str
    session_id: str
    condition: str | None
    domain: str | None
    source: str | None
    result: EvalResult | None
    grades: list[Grade]
    error: GraderError | None = None
    record: Session | ReplayArtifact | None = None
    """The graded record, kept with an escalated item so a reviewer can read its turns even
    when the file it came from is gone (none is kept where the run's replay holds them)."""

    def __post_init__(self) -> None:
        if self.result is None and self.error is None:
            raise ValueError(
                f"ItemOutcome {self.item_key!r} has neither a result nor an error; "
                "pass the EvalResult, or a GraderError saying why there is none"
            )

    @property
    def status(self) -> Literal["done", "error"]:
        """``error`` when the item carries an error, else ``done``."""
        return "error" if self.error is not None else "done"
