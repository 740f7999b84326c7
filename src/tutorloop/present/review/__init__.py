"""The review app's server-rendered pages: runs, the queue, a session with its label form."""

from .cache import ReviewCache
from .pages import render_page
from .queue import FILTERS, QueryError, QueueGroup, QueuePage, QueueQuery, QueueRow, build_queue
from .runs import RunRow, run_rows
from .session import CheckView, SessionPage, session_page

__all__ = [
    "FILTERS",
    "CheckView",
    "QueryError",
    "QueueGroup",
    "QueuePage",
    "QueueQuery",
    "QueueRow",
    "ReviewCache",
    "RunRow",
    "SessionPage",
    "build_queue",
    "render_page",
    "run_rows",
    "session_page",
]
