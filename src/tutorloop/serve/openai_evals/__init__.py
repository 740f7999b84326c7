"""The OpenAI-Evals-compatible API: files, evals, runs and output items over SQLite."""

from .executor import RunExecutor
from .routes import router
from .tables import ApiTables

__all__ = ["ApiTables", "RunExecutor", "router"]
