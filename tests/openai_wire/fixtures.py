"""Pytest fixtures for the openai_wire server; import them into a ``conftest.py``.

::

    from tests.openai_wire.fixtures import openai_server, openai_wire  # noqa: F401

``openai_server`` is one server for the whole session; ``openai_wire`` is the same server
with its state reset (script, faults, counters, latency) before and after each test, which
is what most tests want.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .runner import LocalOpenAIServer, shared_openai_server

__all__ = ["openai_server", "openai_wire"]


@pytest.fixture(scope="session")
def openai_server() -> Iterator[LocalOpenAIServer]:
    """One :class:`LocalOpenAIServer` for the session (shared even if imported twice)."""
    with shared_openai_server() as server:
        yield server


@pytest.fixture
def openai_wire(openai_server: LocalOpenAIServer) -> Iterator[LocalOpenAIServer]:
    """The session server, reset before and after the test."""
    openai_server.state.reset()
    yield openai_server
    openai_server.state.reset()
