"""Pytest fixtures: ``google_wire`` is one fake for the session, reset around each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.native_wire import ThreadedServer, WireState

from .server import KEY, create_app

__all__ = ["google_server", "google_wire"]


@pytest.fixture(scope="session")
def google_server() -> Iterator[ThreadedServer]:
    """The fake Gemini API on 127.0.0.1 (base URL: ``server.url``; key: ``server.state.key``)."""
    with ThreadedServer(create_app, WireState(KEY)) as server:
        yield server


@pytest.fixture
def google_wire(google_server: ThreadedServer) -> Iterator[ThreadedServer]:
    """The session's fake, its script and requests cleared before and after the test."""
    google_server.state.reset()
    yield google_server
    google_server.state.reset()
