"""The command-line interface."""

from tutorloop.cli.app import app, main

__all__ = ["app", "main"]
