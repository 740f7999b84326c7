"""Model grading on Ray: graders, the judge and embeddings in a pool of async actors.

Each actor runs the local engine's :func:`grade_entries_async` (heuristics first, the judge
where a check is unsure or everywhere, then the graders) on its batches, with one
:class:`~tutorloop.generate.CallContext` holding its share of the cluster-wide budget and the
run's call ledger, exactly as replay does.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tutorloop.engines._sources import parse_rows
from tutorloop.engines.results import Row, item_row, problem_row, rows_table, skipped_row
from tutorloop.errors import Problem
from tutorloop.generate import CallContext, CallPolicy, ProviderSettings
from tutorloop.load import Skipped
from tutorloop.run import (
    GradeConfig,
    ModelGrading,
    OutcomeSink,
    SessionGrader,
    grade_entries_async,
)
from tutorloop.store import ItemOutcome


class Secret:
    """An API key on its way to the actors; never shown by ``repr``."""

    def __init__(self, value: str | None) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "Secret([redacted])"

    def export(self, name: str) -> None:
        """Set ``$name`` in this worker when it is not set already."""
        if self.value and not os.environ.get(name):
            os.environ[name] = self.value


class OutcomeRows(OutcomeSink):
    """The engine's sink on a Ray worker: result rows for Parquet instead of the store.

    Nothing is done before (the driver skips stored keys); errors and problems become rows.
    """

    def __init__(self, with_grades: bool = True) -> None:
        self.with_grades = with_grades
        self.rows: list[Row] = []

    def is_done(self, key: str) -> bool:
        """Never: a worker grades what it is given."""
        return False

    def note(self, entry: Any) -> None:
        """A problem or a skipped file becomes a row of its own."""
        if isinstance(entry, Skipped):
            self.rows.append(skipped_row(entry))
        elif isinstance(entry, Problem):
            self.rows.append(problem_row(entry))
        else:
            raise TypeError(f"a grading source yielded {type(entry).__name__}")

    def write(self, results: list[ItemOutcome]) -> None:
        """Keep the rows of ``results``."""
        self.rows.extend(item_row(o, with_grades=self.with_grades) for o in results)


class ModelGradeBatch:
    """A Ray Data async callable class: one grader and one call context per actor."""

    def __init__(
        self,
        config_json: str,
        models: ModelGrading,
        policy: CallPolicy,
        settings: ProviderSettings,
        run_id: str,
        ledger: str,
        key: Secret,
    ) -> None:
        key.export(settings.api_key_env)
        self.grader = SessionGrader(GradeConfig.model_validate_json(config_json))
        self.models = models
        self.run_id = run_id
        self.context = CallContext(policy, settings, ledger_path=Path(ledger), run_id=run_id)

    async def __call__(self, batch: Any) -> Any:
        """Grade every record of ``batch``; failures become error rows, never a failed job."""
        sink = OutcomeRows()
        entries = parse_rows(batch)
        await grade_entries_async(
            entries, self.grader, self.models, self.context, sink, self.run_id
        )
        return rows_table(sink.rows)
