"""The HTTP service (``tutorloop serve``): tutorloop's API, the unweave POC routes, OpenAI Evals."""

from .app import create_app
from .config import TOKEN_ENV, ServeConfig, load_serve_config
from .runner import serve

__all__ = ["TOKEN_ENV", "ServeConfig", "create_app", "load_serve_config", "serve"]
