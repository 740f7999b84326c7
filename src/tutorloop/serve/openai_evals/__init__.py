"""The OpenAI-Evals-compatible API: files, evals, runs and output items, kept by the store."""

from .executor import RunExecutor
from .routes import router

__all__ = ["RunExecutor", "router"]
