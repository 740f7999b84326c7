"""The review app's server-rendered pages."""

from .pages import render_page

__all__ = ["render_page"]
