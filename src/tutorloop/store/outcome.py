"""What the runner hands the store for one item: its result, its grades, or its error."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from tutorloop.records import EvalResult, Grade, GraderError, ReplayArtifact, Session

__all__ = ["EncodedOutcome", "ItemOutcome"]


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
    check_version: str | None = None
    """Set: the store keeps one grade row per check of ``result`` (``study_mode.<name>``, this
    version where the check names none) without repeating the check, which the result holds;
    read back, each is that check's :class:`Grade` (score 1.0 or 0.0, its verdict, reason,
    evidence, confidence and source). ``grades`` then holds the other graders' grades only.
    None: ``grades`` is every grade of the item."""

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


@dataclass(frozen=True, slots=True)
class EncodedOutcome:
    """An :class:`ItemOutcome` already turned into the rows the store writes for it.

    Made by :func:`tutorloop.store.encode_outcome` where the item is graded, so a batch waiting
    to be written holds strings and tuples instead of records (the records die young, which
    spares the garbage collector); :meth:`tutorloop.store.Store.write_outcomes` takes either.
    """

    run_id: str
    item_key: str
    source: str | None
    status: Literal["done", "error"]
    item: tuple[Any, ...]
    """The item row, less its ``seq`` and ``graded_at`` (given when it is written)."""
    grades: list[tuple[Any, ...]]
    judge_checks: list[tuple[Any, ...]]
    record_json: str | None
