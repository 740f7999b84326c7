"""The Model wrapper: one provider adapter plus everything a run needs around each call.

A :class:`CallContext` is shared by every model of a run (it is passed in, never global):
provider clients, one concurrency limit and one requests-per-second limiter per provider +
base URL + key, the call ledger and cache, the price table and the running totals. A
:class:`Model` is a name bound to that context; :meth:`Model.generate` checks the run's ledger
and the cache, then calls the provider with retries (exponential backoff with full jitter,
honouring Retry-After) under the limits and a per-attempt timeout, prices the answer and records
it before returning.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
from aiolimiter import AsyncLimiter
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from tutorloop.errors import (
    ConfigError,
    ProviderError,
    ProviderRequestError,
    ProviderTimeout,
    RateLimited,
    register_secret_env,
)
from tutorloop.generate.config import CallPolicy, Endpoint, ProviderSettings
from tutorloop.generate.ledger import CallLedger
from tutorloop.generate.pricing import PriceTable, load_prices
from tutorloop.generate.providers.base import ProviderAPI
from tutorloop.generate.providers.registry import create_provider, split_model
from tutorloop.generate.types import GenerateRequest, GenerateResponse


@dataclass
class CallStats:
    """Running totals of a context's calls."""

    calls: int = 0
    """Answers received from providers (paid)."""
    attempts: int = 0
    retries: int = 0
    resumed: int = 0
    """Answers reused from this run's ledger (paid earlier in the same run)."""
    cached: int = 0
    """Answers reused from the cache (paid by an earlier run)."""
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    """What the priced calls cost; the calls of ``unpriced`` models are not in it."""
    unpriced: set[str] = field(default_factory=set)
    """Models whose price is unknown (summaries say "price unknown")."""


class CallContext:
    """Providers, limits, ledger, prices and totals shared by the models of one run.

    Args:
        policy: Limits, retries, timeout and cache of every call.
        settings: Where HTTP providers live.
        ledger_path: The call ledger (and cache) file, unless ``policy.cache_path`` names one.
        run_id: The run whose calls the ledger records (for resuming it).
        providers: Provider clients to use instead of creating them from the registry, by
            provider name, e.g. ``{"sim": SimProvider(outputs=[...])}`` in a test, for every
            role (``"sim@judge"``: for one role only); closed with the context.
        endpoints: Each role's (or named endpoint's) model and provider settings, e.g.
            ``{"judge": Endpoint(model="openai/gpt-4.1", key_env="JUDGE_KEY")}``. A model called
            in a role with an endpoint uses that endpoint's settings for its provider; a role
            without one uses ``settings``.
    """

    def __init__(
        self,
        policy: CallPolicy | None = None,
        settings: ProviderSettings | None = None,
        *,
        ledger_path: Path | None = None,
        run_id: str | None = None,
        providers: Mapping[str, ProviderAPI] | None = None,
        endpoints: Mapping[str, Endpoint] | None = None,
    ) -> None:
        self.policy = policy or CallPolicy()
        self.settings = settings or ProviderSettings()
        self.run_id = run_id
        self.prices: PriceTable = load_prices(self.policy.prices_path)
        path = self.policy.cache_path or ledger_path
        self.ledger = CallLedger(path) if path is not None else None
        self.stats = CallStats()
        self.endpoints: dict[str, Endpoint] = dict(endpoints or {})
        for endpoint in self.endpoints.values():  # scrubbed from messages from the start
            if endpoint.key_env:
                register_secret_env(endpoint.key_env)
        self._providers: dict[str, ProviderAPI] = dict(providers or {})
        self._given = frozenset(self._providers)
        self._semaphores: dict[str, anyio.Semaphore] = {}
        self._limiters: dict[str, AsyncLimiter] = {}

    def model(self, name: str, role: str | None = None) -> Model:
        """The model called ``provider/model`` in this context, called in ``role``.

        ``name`` may instead be the name of an endpoint (``judge``): its model, in that role.
        """
        if "/" not in name and name in self.endpoints:
            return Model(self.endpoint_model(name), self, name)
        return Model(name, self, role)

    def endpoint_model(self, name: str) -> str:
        """The ``provider/model`` of the endpoint called ``name``."""
        model = self.endpoints[name].model
        if not model:
            raise ConfigError(
                f"endpoint '{name}' names no model: give it one, e.g. model: openai/gpt-4.1-mini",
                field=f"endpoints.{name}.model",
            )
        return model

    def provider(self, name: str, role: str | None = None) -> ProviderAPI:
        """The provider client called ``name`` for ``role``, created on first use.

        A role whose endpoint says where its provider is gets a client made with that
        endpoint's settings; every other role shares the client of the default settings.
        """
        endpoint = self._routed(role)
        key = name if endpoint is None else f"{name}@{role}"
        if key in self._providers:
            return self._providers[key]
        if name in self._given:  # a client given to the context serves every role
            return self._providers[name]
        settings = self.settings if endpoint is None else endpoint.settings()
        self._providers[key] = create_provider(name, settings, self.policy.timeout_s)
        return self._providers[key]

    def _routed(self, role: str | None) -> Endpoint | None:
        """The endpoint of ``role`` when it says where its provider is."""
        endpoint = self.endpoints.get(role) if role is not None else None
        return endpoint if endpoint is not None and endpoint.routes else None

    def route(self, role: str | None) -> str:
        """What a role's endpoint adds to the cache key: its base URL (never its key)."""
        endpoint = self._routed(role)
        if endpoint is None or endpoint.base_url is None:
            return ""
        return f"@{endpoint.base_url.rstrip('/')}"

    def semaphore(self, key: str) -> anyio.Semaphore:
        """The concurrency limit of one connection key."""
        if key not in self._semaphores:
            self._semaphores[key] = anyio.Semaphore(self.policy.concurrency)
        return self._semaphores[key]

    def limiter(self, key: str) -> AsyncLimiter | None:
        """The requests-per-second limiter of one connection key (None: unlimited)."""
        if self.policy.rps is None:
            return None
        if key not in self._limiters:
            rps = self.policy.rps
            # aiolimiter cannot take one request from a bucket smaller than one: below 1 rps,
            # allow one request per 1/rps seconds instead
            self._limiters[key] = AsyncLimiter(rps, 1.0) if rps >= 1 else AsyncLimiter(1, 1 / rps)
        return self._limiters[key]

    async def aclose(self) -> None:
        """Close provider clients and the ledger."""
        for provider in self._providers.values():
            await provider.aclose()
        self._providers.clear()
        if self.ledger is not None:
            self.ledger.close()

    async def __aenter__(self) -> CallContext:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


class Model:
    """``provider/model`` bound to a :class:`CallContext`."""

    def __init__(self, name: str, context: CallContext, role: str | None = None) -> None:
        self.name = name
        self.provider_name, self.model_name = split_model(name)
        self.context = context
        self.role = role
        """The role it is called in (``tutor``, ``judge``...): its endpoint, if it has one."""

    async def generate(self, request: GenerateRequest) -> GenerateResponse:
        """The answer to ``request``: from the run's ledger, the cache, or a real call."""
        if request.model != self.name:
            request = request.model_copy(update={"model": self.name})
        context = self.context
        fingerprint = request.fingerprint() + context.route(self.role)
        run_key = f"run:{context.run_id}:{fingerprint}" if context.run_id else None
        policy = context.policy
        shared = policy.cache and policy.cache_scope == "global"
        cache_key = f"cache:{fingerprint}" if shared else None
        if context.ledger is not None:
            for key, max_age in ((run_key, None), (cache_key, policy.cache_ttl_s)):
                if key is None:
                    continue
                found = context.ledger.get(key, max_age_s=max_age)
                if found is not None:
                    return self._reused(found, same_run=key == run_key, run_key=run_key)
        keys = (
            [k for k in (run_key, cache_key) if k is not None] if context.ledger is not None else []
        )
        provider = context.provider(self.provider_name, self.role)

        async def keep(response: GenerateResponse) -> None:
            """Price and count the answer; record it before the call's slot is given back."""
            self._account(response)
            if keys and context.ledger is not None:
                await context.ledger.record(keys, response)

        response: GenerateResponse = await self._with_retries(
            lambda: provider.generate(request, self.model_name), keep
        )
        return response

    def _account(self, response: GenerateResponse) -> None:
        """Price ``response`` and add it to the context's totals."""
        context = self.context
        cost = context.prices.cost(self.name, response.usage)
        if cost is None:
            context.stats.unpriced.add(self.name)
        response.cost_usd = cost  # None: the price is unknown (not free)
        stats = context.stats
        stats.calls += 1
        stats.input_tokens += response.usage.input_tokens
        stats.output_tokens += response.usage.output_tokens
        stats.cost_usd += cost or 0.0

    def _reused(
        self, found: GenerateResponse, *, same_run: bool, run_key: str | None
    ) -> GenerateResponse:
        stats = self.context.stats
        if same_run:
            stats.resumed += 1
            stats.cost_usd += found.cost_usd or 0.0
            return found.model_copy(update={"cached": True})
        stats.cached += 1
        if run_key is not None and self.context.ledger is not None:
            self.context.ledger.put([run_key], found.model_copy(update={"cost_usd": 0.0}))
        return found.model_copy(update={"cached": True, "cost_usd": 0.0})

    async def embed(self, texts: list[str]) -> list[list[float]]:
        """Embedding vectors of ``texts`` (for ``cosine`` similarity), with retries and limits."""
        provider = self.context.provider(self.provider_name, self.role)
        embed = getattr(provider, "embed", None)
        if embed is None:
            raise ProviderRequestError(f"provider '{self.provider_name}' has no embedding models")
        vectors: list[list[float]] = await self._with_retries(lambda: embed(texts, self.model_name))
        self.context.stats.calls += 1
        return vectors

    async def _with_retries(
        self,
        call: Callable[[], Awaitable[Any]],
        keep: Callable[[Any], Awaitable[None]] | None = None,
    ) -> Any:
        """``call()`` under the connection's limits, a timeout per attempt, and retries.

        ``keep(result)`` runs after a successful attempt, still inside the connection's slot.
        The first attempt is made directly; tenacity takes over only after a retryable error.
        """
        context = self.context
        provider = context.provider(self.provider_name, self.role)
        key = provider.connection_key
        semaphore = context.semaphore(key)
        limiter = context.limiter(key)
        try:
            return await self._attempt(call, keep, semaphore, limiter)
        except ProviderError as exc:
            if not exc.retryable or context.policy.max_retries == 0:
                raise
            first = exc
        self._count_retry()
        await anyio.sleep(self._delay(1, first))
        retrying = AsyncRetrying(
            stop=stop_after_attempt(context.policy.max_retries),
            wait=lambda state: self._wait(state, attempts_before=1),
            retry=retry_if_exception(lambda exc: isinstance(exc, ProviderError) and exc.retryable),
            before_sleep=lambda state: self._count_retry(),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._attempt(call, keep, semaphore, limiter)
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover

    async def _attempt(
        self,
        call: Callable[[], Awaitable[Any]],
        keep: Callable[[Any], Awaitable[None]] | None,
        semaphore: anyio.Semaphore,
        limiter: AsyncLimiter | None,
    ) -> Any:
        """One attempt under the limits and the per-attempt timeout."""
        context = self.context
        timeout = context.policy.timeout_s
        async with semaphore:
            if limiter is not None:
                await limiter.acquire()
            context.stats.attempts += 1
            try:
                with anyio.fail_after(timeout):
                    result = await call()
            except TimeoutError as exc:
                raise ProviderTimeout(f"{self.name}: no answer within {timeout:g} s") from exc
            if keep is not None:
                await keep(result)
            return result

    def _wait(self, state: RetryCallState, attempts_before: int = 0) -> float:
        """The delay after tenacity's attempt ``state``, counting attempts made before it."""
        error = state.outcome.exception() if state.outcome else None
        return self._delay(state.attempt_number + attempts_before, error)

    def _delay(self, attempt_number: int, error: BaseException | None) -> float:
        """Full-jitter exponential backoff; at least the server's Retry-After on a 429."""
        policy = self.context.policy
        ceiling = min(policy.backoff_max_s, policy.backoff_base_s * 2 ** (attempt_number - 1))
        delay = random.uniform(0, ceiling)
        if isinstance(error, RateLimited) and error.retry_after is not None:
            delay = min(policy.backoff_max_s, error.retry_after) + random.uniform(0, 0.1)
        return delay

    def _count_retry(self) -> None:
        self.context.stats.retries += 1
