"""Deliver alerts to a webhook: a JSON POST signed with HMAC-SHA256, retried with backoff.

Deliveries live in the store (``alert_deliveries``) until the receiver answers 2xx: a receiver
that is down is tried again after 1, 2, 4, … seconds (up to ``max_backoff``), and a restarted
watcher sends what is still pending. The signature is ``X-Tutorloop-Signature: sha256=<hex>``,
the HMAC-SHA256 of the exact body bytes under the shared secret read from the environment
variable the config names; ``X-Tutorloop-Delivery`` carries the delivery id, so a receiver can
drop a repeat (a delivery sent just before a kill is sent again after the restart).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import time

import httpx2 as httpx

from tutorloop.errors import ConfigError, scrub
from tutorloop.run.watch_config import WebhookConfig
from tutorloop.store import AlertDelivery, Store

__all__ = ["SIGNATURE_HEADER", "Webhook", "sign"]

SIGNATURE_HEADER = "X-Tutorloop-Signature"
"""The header that carries ``sha256=<hex HMAC of the body>``."""

log = logging.getLogger("tutorloop.watch")


def sign(body: bytes, secret: str) -> str:
    """The signature header's value for ``body``: ``sha256=<hex>``."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


class Webhook:
    """POSTs due alert deliveries to the configured URL.

    Raises:
        ConfigError: the config names a secret variable that is not set.
    """

    def __init__(self, config: WebhookConfig, transport: httpx.BaseTransport | None = None) -> None:
        self.config = config
        self.secret: str | None = None
        if config.secret_env:
            self.secret = os.environ.get(config.secret_env)
            if not self.secret:
                raise ConfigError(
                    f"the webhook's secret variable {config.secret_env} is not set; set it to "
                    "the secret shared with the receiver, or set webhook.secret_env to null",
                    field="watch.webhook.secret_env",
                )
        self.transport = transport

    def deliver_due(self, store: Store, now: float | None = None) -> int:
        """Try every delivery that is due; return how many were delivered."""
        now = time.time() if now is None else now
        due = store.watch.claim_due(now, lease=self.config.timeout * 2 + 5)
        if not due:
            return 0
        delivered = 0
        with httpx.Client(timeout=self.config.timeout, transport=self.transport) as client:
            for delivery in due:
                delivered += self._try(client, store, delivery, now)
        return delivered

    def _try(self, client: httpx.Client, store: Store, delivery: AlertDelivery, now: float) -> int:
        body = delivery.body.encode("utf-8")
        headers = {
            "Content-Type": "application/json",
            "X-Tutorloop-Delivery": str(delivery.delivery_id),
        }
        if self.secret:
            headers[SIGNATURE_HEADER] = sign(body, self.secret)
        attempts = delivery.attempts + 1
        try:
            response = client.post(delivery.url, content=body, headers=headers)
            if response.is_success:
                store.watch.delivered(delivery.delivery_id, attempts)
                return 1
            error = f"HTTP {response.status_code}"
        except httpx.HTTPError as exc:
            error = scrub(f"{type(exc).__name__}: {exc}")
        wait = min(self.config.max_backoff, 2.0 ** (attempts - 1))
        store.watch.delivery_failed(delivery.delivery_id, attempts, error, now + wait)
        log.warning("alert delivery %s failed (%s); next try in %.0fs", delivery.delivery_id,
                    error, wait)  # fmt: skip
        return 0
