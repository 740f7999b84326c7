"""A local server that speaks the Anthropic Messages API (``POST /v1/messages``), for tests."""
