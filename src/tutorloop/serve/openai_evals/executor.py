"""Runs of the OpenAI-Evals-compatible API, executed in the background and resumed on start-up.

A created run is ``queued``; the executor takes it ``in_progress`` and runs it on the run engine
(:func:`tutorloop.run.run_async`): the source is the data source's rows, the worker samples an
item (for ``completions``/``responses`` data sources) through the generate stage and grades it
with the eval's ``testing_criteria``, and the sink (:class:`~.sink.ApiSink`) stores its output
item, which is the item's done-mark, together with its item in tutorloop's own run of the same
id in one transaction, so ``report_url`` serves tutorloop's HTML report of exactly the items the
API lists. At the end the run gets its totals and ``completed``; a canceled run gets the totals
of the items graded before the cancel (the engine stores what finished first); a run whose data
cannot be read ends ``failed`` with an ``error``. A run still ``queued`` or ``in_progress`` when
the service stops (or is killed) is picked up again when it starts: items already stored are not
graded again.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import anyio
from anyio.abc import TaskGroup
from pydantic import TypeAdapter

from tutorloop._version import __version__
from tutorloop.errors import TutorloopError, scrub
from tutorloop.generate import CallContext
from tutorloop.grade import GradeEnv, GraderSpec, Sample, parse_criteria
from tutorloop.records import GraderResult, RunManifest, RunStatus
from tutorloop.run import RunConfig, run_async
from tutorloop.serve.errors import ApiError
from tutorloop.serve.openai_evals.datasource import Row, build_request, read_rows, upstream_model
from tutorloop.serve.openai_evals.objects import criteria_ids, item_schema, run_totals
from tutorloop.serve.openai_evals.sink import ApiSink, Graded, blank_sample, graded
from tutorloop.serve.openai_evals.wire import DataSource, JsonlDataSource
from tutorloop.store import EvalsApiTables, Store

__all__ = ["RunExecutor"]

log = logging.getLogger("tutorloop.serve")
T = TypeVar("T")
_THREADS = 2
"""Threads for runs' CPU work: few, so the event loop keeps its share of the interpreter."""
_LOCAL_KINDS = frozenset({"string_check", "text_similarity"})
"""Grader kinds that call no model: graded in a worker thread with its own event loop."""
_DATA_SOURCE: TypeAdapter[Any] = TypeAdapter(DataSource)


class RunExecutor:
    """Executes runs in the service's task group; one per service."""

    def __init__(self, store: Store, env: GradeEnv, context: CallContext, width: int) -> None:
        self.tables: EvalsApiTables = store.evals_api
        self.store = store
        self.env = env
        self.context = context
        self.width = max(1, width)
        self._group: TaskGroup | None = None
        self._scopes: dict[str, anyio.CancelScope] = {}
        self._ended: dict[str, anyio.Event] = {}
        self._threads: anyio.CapacityLimiter | None = None

    def bind(self, group: TaskGroup) -> None:
        """Run from now on in ``group`` (the service's lifespan task group)."""
        self._group = group
        self._threads = anyio.CapacityLimiter(_THREADS)

    async def _beside(self, work: Callable[[], T]) -> T:
        """``work()`` in one of the executor's few threads (rendering, schema checks)."""
        return await anyio.to_thread.run_sync(work, abandon_on_cancel=True, limiter=self._threads)

    def submit(self, run_id: str) -> None:
        """Start executing a stored, ``queued`` run."""
        if self._group is None:
            raise RuntimeError("the executor is not started")
        if run_id not in self._scopes:
            self._scopes[run_id] = anyio.CancelScope()
            self._ended[run_id] = anyio.Event()
            self._group.start_soon(self._guarded, run_id)

    def resume_unfinished(self) -> list[str]:
        """Submit every run a restart left ``queued`` or ``in_progress``; return their ids."""
        pending = self.tables.unfinished_runs()
        for run_id in pending:
            log.info("resuming run %s", run_id)
            self.submit(run_id)
        return pending

    def cancel(self, run_id: str) -> None:
        """Stop a run that is executing (its API status is set by the caller).

        tutorloop's own record of the run ends ``interrupted`` at once; its counts are brought
        up to date when the engine has stored the items that finished.
        """
        scope = self._scopes.get(run_id)
        if scope is not None:
            scope.cancel()
            self._finish_store_run(run_id, "interrupted")

    async def stop(self, run_id: str, timeout_s: float = 30.0) -> None:
        """Cancel a run and wait (at most ``timeout_s``) until what finished is stored and counted.

        The caller sets the API status first; a ``canceled`` run then carries the totals of the
        items graded before the cancel.
        """
        ended = self._ended.get(run_id)
        self.cancel(run_id)
        if ended is not None:
            with anyio.move_on_after(timeout_s):
                await ended.wait()
        self._settle(run_id)

    def _settle(self, run_id: str) -> None:
        """Give a canceled run the totals of its stored output items."""
        run = self.tables.get_run(run_id)
        evaluation = self.tables.get_eval(run["eval_id"]) if run else None
        if run is None or evaluation is None or run["status"] != "canceled":
            return
        run.update(run_totals(criteria_ids(evaluation), self.tables.iter_output_items(run_id)))
        self.tables.put_run(run)

    @property
    def active(self) -> int:
        """Runs executing now."""
        return len(self._scopes)

    async def _guarded(self, run_id: str) -> None:
        scope = self._scopes[run_id]
        try:
            with scope:
                await self._execute(run_id)
            if scope.cancel_called:  # canceled or deleted: count what the engine stored
                self._finish_store_run(run_id, "interrupted")
                self._settle(run_id)
        except Exception as exc:  # a bug must not take the service down: fail the run
            log.exception("run %s failed", run_id)
            self._fail(run_id, "internal_error", f"{type(exc).__name__}: {exc}")
        finally:
            self._scopes.pop(run_id, None)
            ended = self._ended.pop(run_id, None)
            if ended is not None:
                ended.set()

    def _fail(self, run_id: str, code: str, message: str) -> None:
        run = self.tables.get_run(run_id)
        if run is None or run["status"] in ("canceled", "completed"):
            return
        run["status"] = "failed"
        run["error"] = {"code": code, "message": scrub(message)}
        self.tables.put_run(run)
        self._finish_store_run(run_id, "failed")

    async def _execute(self, run_id: str) -> None:
        run = self.tables.get_run(run_id)
        evaluation = self.tables.get_eval(run["eval_id"]) if run else None
        if run is None or evaluation is None or run["status"] not in ("queued", "in_progress"):
            return
        graders = parse_criteria(evaluation["testing_criteria"], f"eval {evaluation['id']}")
        source = _DATA_SOURCE.validate_python(run["data_source"])
        self._start_store_run(run, evaluation)
        try:
            read = functools.partial(
                read_rows, source.source, self.tables.file_content, item_schema(evaluation)
            )
            rows = await self._beside(read)
        except ApiError as exc:
            self._fail(run_id, "invalid_data_source", exc.message)
            return
        run = self.tables.get_run(run_id)  # canceled or deleted while the rows were read?
        if run is None or run["status"] not in ("queued", "in_progress"):
            return
        run["status"] = "in_progress"
        self.tables.put_run(run)
        started = run
        names = criteria_ids(evaluation)

        async def grade(row: Row) -> Graded:
            return await self._item(started, source, graders, names, row)

        config = RunConfig(max_in_flight=self.width)
        await run_async(rows, grade, ApiSink(self.tables, started), config)
        run = self.tables.get_run(run_id)
        if run is None or run["status"] != "in_progress":
            return  # canceled or deleted meanwhile
        run.update(run_totals(names, self.tables.iter_output_items(run_id)))
        run["status"] = "completed"
        self.tables.put_run(run)
        self._finish_store_run(run_id, "completed")

    async def _item(
        self,
        run: dict[str, Any],
        source: Any,
        graders: list[GraderSpec],
        names: list[str],
        row: Row,
    ) -> Graded:
        """Sample (or read the row's sample) and grade one item; nothing is stored here."""
        if isinstance(source, JsonlDataSource):
            text, sample = _given_sample(row.sample)
        else:
            text, sample = await self._sample(source, row)
        results: list[GraderResult] = []
        if sample.get("error") is None:
            answer = Sample.from_text(text)
            for spec in graders:
                if spec.kind in _LOCAL_KINDS:  # templates and text metrics: beside the loop
                    work = functools.partial(spec.grade, row.item, answer, self.env)
                    results.append(await self._beside(functools.partial(anyio.run, work)))
                else:
                    results.append(await spec.grade(row.item, answer, self.env))
        return graded(run, row, sample, results, names)

    async def _sample(self, source: Any, row: Row) -> tuple[str, dict[str, Any]]:
        model = source.model or ""
        params = source.sampling_params
        sample = blank_sample(model)
        sample.update(  # as sent: a given 0 is 0; unset is the API's default of 1
            temperature=params.temperature if params and params.temperature is not None else 1.0,
            top_p=params.top_p if params and params.top_p is not None else 1.0,
            seed=params.seed if params and params.seed is not None else 0,
            max_completion_tokens=params.max_completion_tokens if params else None,
        )
        if not model or source.input_messages is None:
            missing = "model" if not model else "input_messages"
            sample["error"] = {"code": "invalid_data_source", "message": f"{missing} is required"}
            return "", sample
        try:
            build = functools.partial(
                build_request, model, source.input_messages, params, row.item, self.env
            )
            request = await self._beside(build)  # renders templates beside the loop
            sample["input"] = [m.model_dump() for m in request.messages]
            response = await self.context.model(upstream_model(model)).generate(request)
        except (TutorloopError, ValueError) as exc:
            sample["error"] = {"code": type(exc).__name__, "message": scrub(str(exc))}
            return "", sample
        used = response.usage
        sample.update(
            output=[{"role": "assistant", "content": response.text}],
            finish_reason="stop",
            usage={
                "prompt_tokens": used.input_tokens,
                "completion_tokens": used.output_tokens,
                "total_tokens": used.input_tokens + used.output_tokens,
                "cached_tokens": 0,
            },
        )
        return response.text, sample

    # tutorloop's own run tables (for the HTML report and the CLI)

    def _start_store_run(self, run: dict[str, Any], evaluation: dict[str, Any]) -> None:
        manifest = RunManifest(
            run_id=run["id"],
            kind="openai-eval",
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            package_version=__version__,
            inputs=[f"eval {evaluation['id']}"],
            config={
                "eval_id": evaluation["id"],
                "eval_name": evaluation.get("name", ""),
                "created_by": "api",
            },
        )
        self.store.start_run(manifest)

    def _finish_store_run(self, run_id: str, status: RunStatus) -> None:
        try:
            self.store.get_run(run_id)
        except TutorloopError:
            return
        finished = datetime.now(UTC).isoformat(timespec="seconds")
        self.store.finish_run(run_id, status, self.store.count_items(run_id), finished)


def _given_sample(given: dict[str, Any] | None) -> tuple[str, dict[str, Any]]:
    """A jsonl row's own sample: ``output_text``, ``output_json`` or a chat ``choices`` list."""
    given = given or {}
    text = given.get("output_text")
    if not isinstance(text, str):
        if given.get("output_json") is not None:
            text = json.dumps(given["output_json"], ensure_ascii=False)
        else:
            choices = given.get("choices") or [{}]
            message = choices[0].get("message", {}) if isinstance(choices[0], dict) else {}
            text = str(message.get("content") or "")
    sample = blank_sample(str(given.get("model") or ""))
    if text:
        sample.update(output=[{"role": "assistant", "content": text}], finish_reason="stop")
    return text, sample
