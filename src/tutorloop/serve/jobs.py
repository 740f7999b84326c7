"""tutorloop's own background runs (``POST /v1/runs``): grade, or replay then grade, a dataset.

A job runs in a worker thread through the same functions as the CLI (``grade_paths``,
``replay_paths``, ``grade_run``) into the same store, under the run id it answered with. Its
request is saved beside the store (``serve-jobs/<run id>.json``) before it starts, so a job
cut off by a restart is started again with the same run id and, like the CLI, resumes: items
already stored are not graded again.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Any, Literal

import anyio
from anyio.abc import TaskGroup
from pydantic import BaseModel, ConfigDict, Field, model_validator

from tutorloop.errors import ConfigError, TutorloopError, scrub
from tutorloop.generate import CallPolicy, ProviderSettings
from tutorloop.run import (
    GradeConfig,
    ModelAccess,
    ReplayConfig,
    RunConfig,
    grade_paths,
    grade_run,
    new_run_id,
    replay_paths,
)
from tutorloop.serve.ids import ID_PATTERN
from tutorloop.serve.registry import dataset
from tutorloop.store import Store, atomic_write_text

__all__ = ["JobRequest", "Jobs", "RunTaken"]

log = logging.getLogger("tutorloop.serve")
JobStatus = Literal["queued", "running", "completed", "failed"]


Condition = Literal["human", "base", "overlay"]


def _all_conditions() -> list[Condition]:
    return ["human", "base", "overlay"]


class ReplayRequest(BaseModel):
    """Replay before grading: the tutor model and the conditions."""

    model_config = ConfigDict(extra="forbid")

    model: str = "sim/study"
    conditions: list[Condition] = Field(default_factory=_all_conditions, min_length=1)
    mode: Literal["teacher_forced", "free_running"] = "teacher_forced"


class JobRequest(BaseModel):
    """``POST /v1/runs``: a registered dataset or inline sessions, optionally replayed first."""

    model_config = ConfigDict(extra="forbid")

    dataset: str | None = None
    """A name from ``GET /v1/datasets``."""
    sessions: list[dict[str, Any]] | None = Field(default=None, min_length=1)
    """Sessions (or replay artifacts) sent inline."""
    replay: ReplayRequest | None = None
    run_id: str | None = Field(default=None, pattern=ID_PATTERN)
    """A new run's id (default: a generated one); an id already in the store is refused."""

    @model_validator(mode="after")
    def _one_input(self) -> JobRequest:
        if (self.dataset is None) == (self.sessions is None):
            raise ValueError("give exactly one of 'dataset' and 'sessions'")
        return self


class RunTaken(Exception):
    """The requested run id already names a run (made by the CLI or another request)."""


class Jobs:
    """Background runs of one service: start, status, and restart on start-up."""

    def __init__(self, store_path: Path, policy: CallPolicy, settings: ProviderSettings) -> None:
        self.store_path = store_path
        self.folder = store_path.parent / "serve-jobs"
        self.policy = policy
        self.settings = settings
        self._status: dict[str, tuple[JobStatus, str | None]] = {}
        self._lock = threading.Lock()
        self._group: TaskGroup | None = None

    def bind(self, group: TaskGroup) -> None:
        """Run jobs from now on in ``group``."""
        self._group = group

    def status(self, run_id: str) -> tuple[JobStatus, str | None] | None:
        """``(status, error)`` of a job this service started, else None."""
        with self._lock:
            return self._status.get(run_id)

    def start(self, request: JobRequest) -> str:
        """Save the request and start the job; return its run id.

        Raises:
            KeyError: the dataset is not registered.
            ConfigError: the dataset is an eval's items, not sessions.
            RunTaken: ``run_id`` names a run that exists: a request never writes into a run it
                did not create (a CLI release-gate run, say).
        """
        if request.dataset is not None:
            named = dataset(request.dataset)
            if named is None:
                raise KeyError(request.dataset)
            if named.kind != "sessions":
                raise ConfigError(
                    f"'{named.name}' holds eval items, not sessions: run it with POST / "
                    f'(body "{named.name}") or through the OpenAI Evals API',
                    field="dataset",
                )
        run_id = request.run_id or new_run_id()
        with self._lock:
            if self._taken(run_id):
                raise RunTaken(run_id)
            self._status[run_id] = ("queued", None)  # claimed before the lock is let go
        request = request.model_copy(update={"run_id": run_id})
        self.folder.mkdir(parents=True, exist_ok=True)
        if request.sessions is not None:
            lines = "".join(json.dumps(s, ensure_ascii=False) + "\n" for s in request.sessions)
            atomic_write_text(self._inputs(run_id), lines)
            request = request.model_copy(update={"sessions": None, "dataset": None})
        atomic_write_text(self._saved(run_id), request.model_dump_json())
        self._launch(run_id, request)
        return run_id

    def resume_unfinished(self) -> list[str]:
        """Start again every saved job whose run the store still shows ``running``."""
        if not self.folder.is_dir():
            return []
        resumed = []
        with Store.open(self.store_path) as store:
            running = {m.run_id for m in store.list_runs() if m.status == "running"}
        for saved in sorted(self.folder.glob("*.json")):
            run_id = saved.stem
            if run_id in running:
                request = JobRequest.model_validate_json(saved.read_text(encoding="utf-8"))
                log.info("resuming job %s", run_id)
                self._launch(run_id, request)
                resumed.append(run_id)
        return resumed

    def created(self, run_id: str) -> bool:
        """Whether this API created run ``run_id`` (its request is saved beside the store)."""
        return self._saved(run_id).is_file()

    def _taken(self, run_id: str) -> bool:
        if run_id in self._status or self._saved(run_id).exists():
            return True
        with Store.open(self.store_path) as store:
            try:
                store.get_run(run_id)
            except TutorloopError:
                return False
            return True

    def _saved(self, run_id: str) -> Path:
        return self.folder / f"{run_id}.json"

    def _inputs(self, run_id: str) -> Path:
        return self.folder / f"{run_id}.jsonl"

    def _set(self, run_id: str, status: JobStatus, error: str | None = None) -> None:
        with self._lock:
            self._status[run_id] = (status, error)

    def _launch(self, run_id: str, request: JobRequest) -> None:
        if self._group is None:
            raise RuntimeError("the job runner is not started")
        self._set(run_id, "queued")
        self._group.start_soon(self._run, run_id, request)

    async def _run(self, run_id: str, request: JobRequest) -> None:
        self._set(run_id, "running")
        try:
            await anyio.to_thread.run_sync(self._work, run_id, request, abandon_on_cancel=True)
        except TutorloopError as exc:
            self._set(run_id, "failed", exc.message)
            return
        except Exception as exc:  # a job must not take the service down
            log.exception("job %s failed", run_id)
            self._set(run_id, "failed", scrub(f"{type(exc).__name__}: {exc}"))
            return
        self._set(run_id, "completed")

    def _work(self, run_id: str, request: JobRequest) -> None:
        named = dataset(request.dataset) if request.dataset else None
        paths = [named.path if named is not None else self._inputs(run_id)]
        options = RunConfig(run_id=run_id, store_path=self.store_path)
        if request.replay is None:
            grade_paths(paths, GradeConfig(), options)
            self._mark_created(run_id)
            return
        config = ReplayConfig(
            model=request.replay.model,
            conditions=list(request.replay.conditions),
            mode=request.replay.mode,
        )
        replay_paths(paths, config, self.policy, self.settings, options)
        self._mark_created(run_id)
        grade_run(run_id, GradeConfig(), options, access=ModelAccess(self.policy, self.settings))

    def _mark_created(self, run_id: str) -> None:
        """Record in the run's manifest that the API created it (``created_by: api``)."""
        with Store.open(self.store_path) as store:
            manifest = store.get_run(run_id)
            if manifest.config.get("created_by") != "api":
                manifest.config["created_by"] = "api"
                store.update_manifest(manifest)
