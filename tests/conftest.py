"""Fixtures shared by the whole suite."""

from tests.openai_wire.fixtures import openai_server, openai_wire

__all__ = ["openai_server", "openai_wire"]
