"""Fixtures shared by the whole suite."""

from tests.anthropic_wire.fixtures import anthropic_server, anthropic_wire
from tests.google_wire.fixtures import google_server, google_wire
from tests.openai_wire.fixtures import openai_server, openai_wire

__all__ = [
    "anthropic_server",
    "anthropic_wire",
    "google_server",
    "google_wire",
    "openai_server",
    "openai_wire",
]
