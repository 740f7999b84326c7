"""The review app's pages, rendered on the server from package templates (autoescaped)."""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

__all__ = ["render_page"]


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("tutorloop.present.review", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_page(name: str, **context: Any) -> str:
    """The HTML of the review page ``name`` (a template in ``templates/``) with ``context``."""
    return _environment().get_template(f"{name}.html.j2").render(**context)
