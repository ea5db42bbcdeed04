"""Delivers outbox rows to the registry over authenticated HTTP, at least once.

The registry is idempotent on (issuer, source_ref = complaint id), so at-least-once delivery is
exactly-once in effect: a crash between the registry's commit and ours only causes a replay.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from prometheus_client import CollectorRegistry, Counter
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.common.clock import Clock
from services.common.devkeys import SigningKey, load_private_key, public_jwk, sign_token
from services.common.roles import Role
from services.complaints.outbox import lease as leases
from services.complaints.outbox import service as outbox
from services.complaints.settings import ComplaintsSettings

logger = logging.getLogger("qcr.outbox")
# Statuses a retry cannot fix: the request itself is wrong (unknown enterprise, validation).
_RETRYABLE_4XX = {408, 425, 429}
# The registry refused our token: a key rotation mistake or clock skew on one side, never the
# message's fault. Parking it would strand the whole backlog; retry with backoff and shout.
_AUTH_REFUSED = {401, 403}
# Each delivery gets its own token; it only has to outlive one request.
TOKEN_TTL_SECONDS = 60


def signing_key(path: Path) -> SigningKey:
    key = load_private_key(path)
    return SigningKey(kid=public_jwk(key)["kid"], private_key=key, jwks_path=path)


def registry_token(key: SigningKey, settings: ComplaintsSettings, now: datetime) -> str:
    """A short-lived `service` token for the registry, signed with the complaints service's key.

    `now` is the wall clock: the registry judges expiry by its own (not by an injectable clock)."""
    return sign_token(
        key,
        issuer=settings.service_issuer,
        audience="registry",
        subject="complaints",
        role=Role.service,
        ttl_seconds=TOKEN_TTL_SECONDS,
        now=now.timestamp(),
    )


class OutboxMetrics:
    """Prometheus counters of the feed, on the service's registry (so /metrics shows them)."""

    def __init__(self, registry: CollectorRegistry):
        self.deliveries = Counter(
            "outbox_deliveries", "Outbox delivery attempts by outcome", ["outcome"], registry=registry
        )
        self.auth_failures = Counter(
            "outbox_auth_failures",
            "Deliveries the registry refused for the token (401/403): fix keys or clocks",
            ["status"],
            registry=registry,
        )


class Dispatcher:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        settings: ComplaintsSettings,
        clock: Clock,
        client: httpx.AsyncClient | None = None,
        worker: str | None = None,
        metrics: OutboxMetrics | None = None,
    ):
        assert settings.signing_key_file is not None
        self.sessions = sessions
        self.settings = settings
        self.clock = clock
        self.key = signing_key(settings.signing_key_file)
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.metrics = metrics or OutboxMetrics(CollectorRegistry())
        self._client = client
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Deliver now rather than at the next poll (called after a substantiation commits)."""
        self._wake.set()

    def _token(self) -> str:
        # Fresh for each delivery, on the wall clock (the clock that drives leases and backoff is
        # injectable; the registry's check of the token is not).
        return registry_token(self.key, self.settings, datetime.now(UTC))

    @property
    def _lease(self) -> timedelta:
        return timedelta(seconds=self.settings.lease_seconds)

    async def run_once(self) -> int:
        """Claim due rows and try each once; returns how many were claimed."""
        async with self.sessions() as session, session.begin():
            claimed = await outbox.claim(
                session,
                worker=self.worker,
                now=self.clock.now(),
                batch=self.settings.dispatch_batch,
                lease=self._lease,
            )
        if not claimed:
            return 0
        client = self._client or httpx.AsyncClient(timeout=self.settings.registry_timeout_seconds)
        try:
            for index, message in enumerate(claimed):
                # Renew the lease of this row and the rest of the pass before each delivery: a pass
                # may outlast one lease; one delivery may not (settings keep lease > timeout).
                async with self.sessions() as session, session.begin():
                    held = await outbox.renew(
                        session,
                        ids=[m.id for m in claimed[index:]],
                        worker=self.worker,
                        now=self.clock.now(),
                        lease=self._lease,
                    )
                if message.id not in held:
                    logger.info(
                        "outbox lease lost; another dispatcher has the row", extra={"outbox_id": message.id}
                    )
                    continue
                await self._deliver(client, message)
        finally:
            if self._client is None:
                await client.aclose()
        return len(claimed)

    async def _deliver(self, client: httpx.AsyncClient, message: outbox.Claimed) -> None:
        url = f"{self.settings.registry_url.rstrip('/')}/v1/enterprises/{message.uscc}/credit-events"
        body = {**message.payload, "authority": self.settings.authority_name}
        headers = {"Authorization": f"Bearer {self._token()}"}
        try:
            # One deadline for the whole request (httpx's applies per phase), so a delivery never
            # outlasts the lease it was renewed for.
            async with asyncio.timeout(self.settings.registry_timeout_seconds):
                response = await client.post(url, json=body, headers=headers)
        except (httpx.HTTPError, TimeoutError) as exc:
            await self._record("retry", message, f"registry unreachable: {type(exc).__name__}")
            return
        status = response.status_code
        if status in (200, 201):
            await self._record("sent", message, None, event_id=str(response.json().get("id")))
        elif status in _AUTH_REFUSED:
            self.metrics.auth_failures.labels(str(status)).inc()
            logger.error(
                "outbox delivery refused by the registry: check that the registry trusts the complaints"
                " signing key (COMPLAINTS_SIGNING_KEY_FILE) and that both clocks are right; retrying",
                extra={"outbox_id": message.id, "status": status, "signing_kid": self.key.kid},
            )
            await self._record(
                "retry", message, f"registry refused the token: {status}: {response.text[:300]}"
            )
        elif status >= 500 or status in _RETRYABLE_4XX:
            await self._record("retry", message, f"registry answered {status}")
        else:
            await self._record("failed", message, f"registry answered {status}: {response.text[:500]}")

    async def _record(
        self, outcome: str, message: outbox.Claimed, error: str | None, event_id: str | None = None
    ) -> None:
        now = self.clock.now()
        async with self.sessions() as session, session.begin():
            if outcome == "sent":
                await outbox.mark_sent(
                    session, message_id=message.id, worker=self.worker, event_id=event_id, now=now
                )
            elif outcome == "retry":
                await outbox.mark_retry(
                    session,
                    message_id=message.id,
                    worker=self.worker,
                    error=error or "",
                    now=now,
                    base=self.settings.backoff_base_seconds,
                    cap=self.settings.backoff_max_seconds,
                )
            else:
                await outbox.mark_failed(
                    session, message_id=message.id, worker=self.worker, error=error or "", now=now
                )
        self.metrics.deliveries.labels(outcome).inc()
        leases.log_delivery(
            logger, "outbox", outcome=outcome, attempt=message.attempts + 1, outbox_id=message.id, error=error
        )

    async def run_forever(self) -> None:
        await leases.poll_forever(
            self.run_once, self._wake, interval=self.settings.dispatch_interval_seconds, logger=logger
        )
