"""Graded outcomes into the store: the sink of every grading run, and items graded elsewhere.

:class:`StoredOutcomes` is the engine's sink for grading: it knows the run's done keys, writes
each batch of outcomes with their done-marks in one transaction, names the duplicates the store
refused, and files what the source could not use (problems, skipped files) in the report.
:class:`Graded` carries an outcome that is already made (a replay that failed, a row a Ray
worker graded) through the same engine, so it is stored, resumed and counted like any other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tutorloop.errors import Problem, scrub
from tutorloop.load import EvalItem, Item, Skipped
from tutorloop.records import GraderError
from tutorloop.run.common import RunReport
from tutorloop.store import EncodedOutcome, ItemOutcome, Store


@dataclass(frozen=True)
class Graded:
    """A work item whose outcome is already made; the engine stores it as it is."""

    outcome: ItemOutcome

    @property
    def key(self) -> str:
        """The outcome's item key."""
        return self.outcome.item_key


def failed_outcome(work: Item | EvalItem | Graded, error: BaseException) -> ItemOutcome:
    """The outcome recording that grading ``work`` raised ``error`` (scrubbed of secrets)."""
    if isinstance(work, Graded):
        return work.outcome
    session_id = work.key if isinstance(work, EvalItem) else work.session_id
    return ItemOutcome(
        item_key=work.key,
        session_id=session_id,
        condition=getattr(work, "condition", None),
        domain=getattr(work, "domain", None),
        source=work.origin,
        result=None,
        grades=[],
        error=GraderError(type=type(error).__name__, message=scrub(str(error))),
    )


class OutcomeSink:
    """What every sink of graded outcomes shares: how a failure and an error look."""

    def failed(self, work: Any, error: BaseException) -> ItemOutcome:
        """The errored outcome of ``work``."""
        return failed_outcome(work, error)

    def is_error(self, result: ItemOutcome | EncodedOutcome) -> bool:
        """Whether grading the item failed as a whole."""
        return result.status == "error"


class StoredOutcomes(OutcomeSink):
    """The engine's sink for a grading run: outcomes and done-marks into the store.

    Its results are outcomes, or outcomes the worker already encoded into their rows
    (:func:`tutorloop.store.encode_outcome`), which a batch holds far more cheaply.
    """

    def __init__(self, store: Store, run_id: str, report: RunReport) -> None:
        self.store = store
        self.run_id = run_id
        self.report = report
        self.done = store.done_keys(run_id)
        report.resumed_items = len(self.done)

    def is_done(self, key: str) -> bool:
        """Whether ``key`` is stored in this run."""
        return key in self.done

    def note(self, entry: Any) -> None:
        """File a problem or a skipped file in the report."""
        if isinstance(entry, Skipped):
            self.report.skipped.append(entry)
        elif isinstance(entry, Problem):
            self.report.problems.append(entry)
        else:
            raise TypeError(f"a grading source yielded {type(entry).__name__}")

    def write(self, results: Sequence[ItemOutcome | EncodedOutcome]) -> None:
        """Write ``results`` in one transaction; name the duplicates the store refused."""
        inserted = self.store.write_outcomes(self.run_id, results)
        self.report.new_items += inserted
        if inserted == len(results):
            return
        stored = self.store.item_sources(self.run_id, [o.item_key for o in results])
        written: set[str] = set()
        for outcome in results:
            first = stored.get(outcome.item_key)
            if first != outcome.source or outcome.item_key in written:
                self.report.problems.append(
                    Problem(
                        outcome.source or "?",
                        f"duplicate session '{outcome.item_key}' (first seen in {first}); "
                        "not graded twice",
                        field="session_id",
                        hint="session ids must be unique within one run",
                    )
                )
            written.add(outcome.item_key)
