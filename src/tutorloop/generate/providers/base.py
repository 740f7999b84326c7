"""The provider adapter protocol: one ``generate`` call, nothing else.

Retries, rate limits, concurrency, caching and cost belong to :class:`~tutorloop.generate.Model`,
which wraps an adapter. An adapter maps the provider's own errors to tutorloop's
(:class:`~tutorloop.errors.ProviderError` and its subclasses) at its boundary.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from tutorloop.generate.types import GenerateRequest, GenerateResponse


@runtime_checkable
class ProviderAPI(Protocol):
    """A model provider: ``sim``, ``openai`` or a plug-in."""

    name: str
    """The provider part of ``provider/model``."""

    @property
    def connection_key(self) -> str:
        """Calls sharing this key share one concurrency and rate limit (provider+URL+account)."""
        ...

    async def generate(self, request: GenerateRequest, model_name: str) -> GenerateResponse:
        """Answer ``request`` with the model called ``model_name`` (the part after the slash)."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...
