"""The FastAPI application: three faces on one store, behind one guard.

:func:`create_app` builds the app from a :class:`~tutorloop.serve.config.ServeConfig`. Its
lifespan opens the store, starts the background task group (OpenAI-Evals runs and tutorloop
jobs), resumes every run a restart interrupted, and only then reports ready (``/readyz``). On
shutdown the task group is cancelled: runs keep their ``in_progress`` status and resume at the
next start.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI

from tutorloop._version import __version__
from tutorloop.generate import CallContext
from tutorloop.grade import GradeEnv
from tutorloop.present.review import ReviewCache
from tutorloop.run import SessionGrader
from tutorloop.serve.config import ServeConfig, generate_token
from tutorloop.serve.errors import install_error_handlers
from tutorloop.serve.grade_pool import GradePool
from tutorloop.serve.guard import Guard, GuardLimits
from tutorloop.serve.ingest import Watching, deliver_alerts
from tutorloop.serve.ingest import router as ingest_router
from tutorloop.serve.jobs import Jobs
from tutorloop.serve.offload import WORKERS
from tutorloop.serve.openai_evals.executor import RunExecutor
from tutorloop.serve.openai_evals.routes import router as openai_router
from tutorloop.serve.report_links import ReportLinks
from tutorloop.serve.review.access import Credentials
from tutorloop.serve.review.labels_api import router as labels_router
from tutorloop.serve.review.login import router as login_router
from tutorloop.serve.review.pages import router as pages_router
from tutorloop.serve.routes_poc import router as poc_router
from tutorloop.serve.routes_tutorloop import GradeRoute
from tutorloop.serve.routes_tutorloop import router as tutorloop_router
from tutorloop.serve.state import Service
from tutorloop.store import Store, default_store_path

__all__ = ["create_app"]

SWITCH_INTERVAL_S = 0.0005
"""The interpreter's thread switch interval while the service runs (Python's default: 5 ms)."""

log = logging.getLogger("tutorloop.serve")


def create_app(config: ServeConfig | None = None, token: str | None = None) -> FastAPI:
    """The service's ASGI app (serve it with uvicorn, or :func:`tutorloop.serve.serve`).

    Args:
        config: The service config (default: :class:`ServeConfig`'s defaults).
        token: The bearer token (default: ``$TUTORLOOP_API_TOKEN``, else a generated one, kept
            on ``app.state.token`` for the caller to show).
    """
    config = config or ServeConfig()
    token = token or config.token() or generate_token()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store_path = config.store_path or default_store_path()
        store = Store.open(store_path)  # the process's one connection to the store file
        context = CallContext(config.calls, config.upstream)
        env = GradeEnv(
            calls=context,
            grader_model=config.grader_model,
            python_graders=config.python_graders,
            bwrap_path=config.bwrap_path,
        )
        width = config.calls.concurrency * 2
        state = Service(
            config=config,
            store_path=store_path,
            grader=SessionGrader(),
            tables=store.evals_api,
            store=store,
            context=context,
            env=env,
            executor=RunExecutor(store, env, context, width),
            jobs=Jobs(store_path, config.calls, config.upstream),
            workers=anyio.CapacityLimiter(WORKERS),
            grading=GradePool(config.grade_processes, config.max_grade_sessions),
        )
        state.watching = Watching(state)
        app.state.service = state
        # Grading and rendering run in worker threads; a short switch interval hands the
        # interpreter back to the event loop promptly, so probes and light requests stay fast.
        switch = sys.getswitchinterval()
        sys.setswitchinterval(SWITCH_INTERVAL_S)
        try:
            async with anyio.create_task_group() as group:
                state.executor.bind(group)
                state.jobs.bind(group)
                group.start_soon(deliver_alerts, state)
                state.resumed = state.executor.resume_unfinished()
                state.resumed += state.jobs.resume_unfinished()
                state.ready = True
                try:
                    yield
                finally:
                    state.ready = False
                    group.cancel_scope.cancel()
        finally:
            state.grading.close()
            sys.setswitchinterval(switch)
            await context.aclose()
            store.close()

    app = FastAPI(
        title="tutorloop",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    install_error_handlers(app)
    app.include_router(tutorloop_router)
    app.include_router(openai_router)
    app.include_router(poc_router)
    app.include_router(labels_router)
    app.include_router(ingest_router)
    app.include_router(login_router)
    app.include_router(pages_router)
    limits = GuardLimits(
        max_body_bytes=config.max_body_bytes,
        body_timeout_s=config.body_timeout_s,
        min_body_rate=config.min_body_rate,
        max_json_depth=config.max_json_depth,
        max_json_number_chars=config.max_json_number_chars,
    )
    credentials = Credentials(token, config.reviewers())
    links = ReportLinks(token)
    app.add_middleware(GradeRoute)  # inside the guard: added first
    app.add_middleware(
        Guard,
        credentials=credentials,
        hosts=config.served_hosts(),
        limits=limits,
        report_links=links,
    )
    app.state.credentials = credentials
    app.state.review_cache = ReviewCache()
    app.state.token = token
    app.state.report_links = links
    return app
