"""A local server that speaks the OpenAI HTTP wire protocol, for tests and benchmarks.

The official ``openai`` SDK can be pointed at it (``base_url=server.base_url``) to exercise
real HTTP calls, retries and faults without touching the network:

* :mod:`tests.openai_wire.server` — the FastAPI app (``create_app``), its scripted
  ``ServerState``, and the ``Reply`` / ``Fault`` script items.
* :mod:`tests.openai_wire.runner` — ``LocalOpenAIServer``, which runs the app with uvicorn
  in a background thread, and a CLI (``python -m tests.openai_wire.runner``) for an
  out-of-process server.
* :mod:`tests.openai_wire.fixtures` — pytest fixtures ``openai_server`` / ``openai_wire``.

This package deliberately imports nothing at import time, so that running the CLI with
``python -m`` does not import the runner module twice.
"""
