"""What a running service holds: its config, the store, the run executor and background jobs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from anyio import CapacityLimiter
from fastapi import Request

from tutorloop.generate import CallContext
from tutorloop.grade import GradeEnv
from tutorloop.run import SessionGrader
from tutorloop.serve.config import ServeConfig
from tutorloop.serve.grade_pool import GradePool
from tutorloop.serve.jobs import Jobs
from tutorloop.serve.openai_evals.executor import RunExecutor
from tutorloop.store import EvalsApiTables, Store

__all__ = ["Service", "service"]


@dataclass
class Service:
    """One service's shared objects (on ``app.state.service``; never global)."""

    config: ServeConfig
    store_path: Path
    grader: SessionGrader
    tables: EvalsApiTables
    """The OpenAI-Evals-compatible API's objects: ``store.evals_api``."""
    store: Store
    """The process's one connection to the store file, shared by routes, runs and threads."""
    context: CallContext
    env: GradeEnv
    executor: RunExecutor
    jobs: Jobs
    workers: CapacityLimiter
    """Threads for a request's heavy work (:func:`tutorloop.serve.offload.bounded`)."""
    grading: GradePool
    """The processes answering ``POST /v1/grade`` (:mod:`tutorloop.serve.grade_pool`)."""
    watching: Any = None
    """Grading of ingested sessions and the alert rules (``serve.ingest.Watching``)."""
    ready: bool = False
    resumed: list[str] = field(default_factory=list)


def service(request: Request) -> Service:
    """The service the request is served by."""
    found: Service = request.app.state.service
    return found
