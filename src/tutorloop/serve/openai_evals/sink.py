"""Where the run engine puts an Evals API run's graded items: output items and tutorloop's items.

An item's result is a :class:`Graded`: the output item the API serves and the outcome tutorloop's
run of the same id keeps for its report. :meth:`ApiSink.write` stores a batch of both in ONE
transaction (:meth:`tutorloop.store.EvalsApiTables.write_output_items`), so a service killed
at any moment leaves each item in both places or in neither; :meth:`ApiSink.is_done` reads the
output items, and a restarted run grades only the items it lacks.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from tutorloop.errors import scrub
from tutorloop.records import GraderError, GraderResult
from tutorloop.run import criteria_outcome
from tutorloop.serve.openai_evals.datasource import Row, row_index
from tutorloop.serve.openai_evals.objects import output_item
from tutorloop.store import EvalsApiTables, ItemOutcome

__all__ = ["EMPTY_USAGE", "ApiSink", "Graded", "blank_sample", "graded"]

EMPTY_USAGE = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0, "cached_tokens": 0}


@dataclass(frozen=True)
class Graded:
    """One data-source item graded: its output item and the item of tutorloop's run."""

    entry: dict[str, Any]
    outcome: ItemOutcome


def blank_sample(model: str = "") -> dict[str, Any]:
    """A sample with nothing sampled yet, in the shape output items carry."""
    return {
        "model": model,
        "input": [],
        "output": [],
        "usage": dict(EMPTY_USAGE),
        "finish_reason": "",
        "error": None,
        "temperature": 1.0,
        "top_p": 1.0,
        "seed": 0,
        "max_completion_tokens": None,
    }


def graded(
    run: dict[str, Any],
    row: Row,
    sample: dict[str, Any],
    results: list[GraderResult],
    names: list[str] | None = None,
) -> Graded:
    """The output item of ``row`` and its outcome in tutorloop's run (errored without a sample).

    ``names`` are the criteria ids that name the results in the output item.
    """
    entry = output_item(run, row.index, row.item, sample, results, names)
    origin = f"eval run {run['id']}: item {row.index}"
    outcome = criteria_outcome(run["id"], row.key, origin, results)
    failed = sample.get("error")
    if failed is not None:  # no sample: the item errored before any grader ran
        error = GraderError(type=failed["code"], message=failed["message"])
        outcome = dataclasses.replace(outcome, error=error)
    return Graded(entry, outcome)


class ApiSink:
    """The engine's sink for one API run (see the module docstring)."""

    def __init__(self, tables: EvalsApiTables, run: dict[str, Any]) -> None:
        self.tables = tables
        self.run = run

    def is_done(self, key: str) -> bool:
        """Whether the item already has its output item."""
        return self.tables.has_output_item(self.run["id"], row_index(key))

    def failed(self, work: Row, error: BaseException) -> Graded:
        """An item whose sampling or grading raised: an ``error`` output item, kept as data."""
        sample = blank_sample()
        sample["error"] = {"code": type(error).__name__, "message": scrub(str(error))}
        return graded(self.run, work, sample, [])

    def is_error(self, result: Graded) -> bool:
        """Whether the item errored."""
        return bool(result.entry["status"] == "error")

    def write(self, results: list[Graded]) -> None:
        """Store the output items and tutorloop's items of ``results`` in one transaction."""
        self.tables.write_output_items(self.run["id"], [(r.entry, r.outcome) for r in results])

    def note(self, entry: Any) -> None:
        """Nothing but rows comes from an API run's source."""
