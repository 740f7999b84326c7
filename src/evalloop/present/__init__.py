"""Present results to people: terminal tables and progress bars (the HTML report joins later)."""

from .terminal import progress_bar, render_problems, render_summary

__all__ = ["progress_bar", "render_problems", "render_summary"]
