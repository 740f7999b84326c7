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
from tutorloop.run import GradeConfig, ModelGrading, SessionGrader, grade_entries_async
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


class _Rows:
    """An outcome sink that keeps result rows for Ray instead of writing the store."""

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        self.rows: list[Row] = []

    def route(self, entry: Any) -> Any | None:
        if isinstance(entry, Problem):
            self.rows.append(problem_row(entry))
        elif isinstance(entry, Skipped):
            self.rows.append(skipped_row(entry))
        else:
            return entry
        return None

    def add(self, outcome: ItemOutcome) -> None:
        self.rows.append(item_row(outcome, with_grades=True))

    def flush(self) -> None:
        return None


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
        sink = _Rows(self.run_id)
        await grade_entries_async(parse_rows(batch), self.grader, self.models, self.context, sink)
        return rows_table(sink.rows)
