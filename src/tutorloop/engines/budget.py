"""A cluster-wide call budget: one connection's limits split across a fixed pool of actors.

Ray has no cluster-wide rate limiter, so the budget is arithmetic: N actors, each with its own
:class:`~tutorloop.generate.CallContext` (one semaphore and one limiter per provider + base URL +
key), each given ``floor(concurrency / N)`` calls in flight and ``rps / N`` requests per second.
The sums never exceed the configured limits. When there are more actors than calls allowed in
flight, the pool shrinks to the concurrency (each actor needs at least one call).
"""

from __future__ import annotations

from dataclasses import dataclass

from tutorloop.generate import CallPolicy


@dataclass(frozen=True)
class Budget:
    """How many actors to start, and the call policy each of them gets."""

    actors: int
    per_actor: CallPolicy

    @property
    def total_concurrency(self) -> int:
        """Calls in flight across the pool, at most."""
        return self.actors * self.per_actor.concurrency

    @property
    def total_rps(self) -> float | None:
        """Requests per second across the pool, at most (None: unlimited)."""
        rps = self.per_actor.rps
        return None if rps is None else rps * self.actors


def split_budget(policy: CallPolicy, actors: int) -> Budget:
    """Split ``policy``'s per-connection limits across ``actors`` (fewer when they do not fit)."""
    if actors < 1:
        raise ValueError("actors must be >= 1")
    pool = min(actors, policy.concurrency)
    update: dict[str, object] = {"concurrency": policy.concurrency // pool}
    if policy.rps is not None:
        update["rps"] = policy.rps / pool
    return Budget(actors=pool, per_actor=policy.model_copy(update=update))
