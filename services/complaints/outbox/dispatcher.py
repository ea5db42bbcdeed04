"""Delivers outbox rows to the registry over authenticated HTTP, at least once.

The registry is idempotent on (issuer, source_ref = complaint id), so at-least-once delivery is
exactly-once in effect: a crash between the registry's commit and ours only causes a replay.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from datetime import datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.common.clock import Clock
from services.common.devkeys import SigningKey, load_private_key, public_jwk, sign_token
from services.common.roles import Role
from services.complaints.outbox import lease as leases
from services.complaints.outbox import service as outbox
from services.complaints.settings import ComplaintsSettings

logger = logging.getLogger("qcr.outbox")
# Statuses a retry cannot fix: the request itself is wrong (unknown enterprise, validation, auth).
_RETRYABLE_4XX = {408, 425, 429}


def signing_key(path: Path) -> SigningKey:
    key = load_private_key(path)
    return SigningKey(kid=public_jwk(key)["kid"], private_key=key, jwks_path=path)


def registry_token(key: SigningKey, settings: ComplaintsSettings, now: datetime) -> str:
    """A short-lived `service` token for the registry, signed with the complaints service's key."""
    return sign_token(
        key,
        issuer=settings.service_issuer,
        audience="registry",
        subject="complaints",
        role=Role.service,
        ttl_seconds=120,
        now=now.timestamp(),
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
    ):
        assert settings.signing_key_file is not None
        self.sessions = sessions
        self.settings = settings
        self.clock = clock
        self.key = signing_key(settings.signing_key_file)
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self._client = client
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Deliver now rather than at the next poll (called after a substantiation commits)."""
        self._wake.set()

    def _token(self) -> str:
        return registry_token(self.key, self.settings, self.clock.now())

    async def run_once(self) -> int:
        """Claim due rows and try each once; returns how many were attempted."""
        now = self.clock.now()
        async with self.sessions() as session, session.begin():
            claimed = await outbox.claim(
                session,
                worker=self.worker,
                now=now,
                batch=self.settings.dispatch_batch,
                lease=timedelta(seconds=self.settings.lease_seconds),
            )
        if not claimed:
            return 0
        client = self._client or httpx.AsyncClient(timeout=self.settings.registry_timeout_seconds)
        try:
            token = self._token()
            for message in claimed:
                await self._deliver(client, token, message)
        finally:
            if self._client is None:
                await client.aclose()
        return len(claimed)

    async def _deliver(self, client: httpx.AsyncClient, token: str, message: outbox.Claimed) -> None:
        url = f"{self.settings.registry_url.rstrip('/')}/v1/enterprises/{message.uscc}/credit-events"
        body = {**message.payload, "authority": self.settings.authority_name}
        try:
            response = await client.post(url, json=body, headers={"Authorization": f"Bearer {token}"})
        except httpx.HTTPError as exc:
            await self._record("retry", message, f"registry unreachable: {type(exc).__name__}")
            return
        if response.status_code in (200, 201):
            await self._record("sent", message, None, event_id=str(response.json().get("id")))
        elif response.status_code >= 500 or response.status_code in _RETRYABLE_4XX:
            await self._record("retry", message, f"registry answered {response.status_code}")
        else:
            await self._record(
                "failed", message, f"registry answered {response.status_code}: {response.text[:500]}"
            )

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
        leases.log_delivery(
            logger, "outbox", outcome=outcome, attempt=message.attempts + 1, outbox_id=message.id, error=error
        )

    async def run_forever(self) -> None:
        await leases.poll_forever(
            self.run_once, self._wake, interval=self.settings.dispatch_interval_seconds, logger=logger
        )
