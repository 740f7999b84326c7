"""Make the openai_wire fixtures available to this package's tests.

The server behind them is shared process-wide (``shared_openai_server``), so importing the
same fixtures into ``tests/conftest.py`` as well still starts only one server.
"""

from .fixtures import openai_server, openai_wire

__all__ = ["openai_server", "openai_wire"]
