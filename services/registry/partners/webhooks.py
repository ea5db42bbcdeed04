"""Webhook subscriptions: signed deliveries of feed changes, in order, retried, replayable.

Each subscription walks the change feed with its own cursor. One change per POST, strictly in feed
order: a failing delivery is retried with backoff and holds back the ones after it, so every partner
sees each enterprise's changes in the order they happened. Signature (documented in
contracts/webhooks.md): header `QCR-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import logging
import random
import secrets
import time
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import httpx
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.common.auth import Principal
from services.common.clock import Clock
from services.common.errors import Forbidden, NotFound, Unprocessable
from services.registry.ledger import feed
from services.registry.ledger import service as ledger
from services.registry.ledger.models import Change
from services.registry.partners.models import Subscription

logger = logging.getLogger("qcr.webhooks")
SIGNATURE_HEADER = "QCR-Signature"
DELIVERY_HEADER = "QCR-Delivery"
BATCH = 50


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def body_of(change: Change) -> bytes:
    return ledger.canonical(
        {
            "seq": change.position,
            "kind": change.kind,
            "uscc": change.uscc,
            "data": change.data,
            "at": change.at.isoformat(),
        }
    ).encode()


async def refused_target(url: str) -> str | None:
    """Why deliveries may not go to `url` (this machine, a private, link-local or reserved address),
    or None. A partner must not be able to make the registry POST into its own network; a name is
    resolved here, and again before every delivery, since its address can change."""
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return f"{host} is this machine"
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            found = await asyncio.get_running_loop().getaddrinfo(host, None)
        except (OSError, ValueError):  # ValueError: not even a valid name (IDNA)
            return None  # not resolvable now: delivery resolves again, and fails or is refused then
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in found]
    for address in addresses:
        if not address.is_global:
            return f"{address} is not a public address"
    return None


def _check_kinds(kinds: Sequence[str]) -> list[str]:
    unknown = sorted(set(kinds) - set(ledger.FEED_KINDS))
    if unknown or not kinds:
        message = (
            f"unknown kinds {unknown}; known: {', '.join(ledger.FEED_KINDS)}"
            if unknown
            else "give at least one kind"
        )
        raise Unprocessable(f"kinds: {message}", errors=[{"field": "kinds", "message": message}])
    return sorted(set(kinds))


async def create(
    session: AsyncSession,
    *,
    partner: Principal,
    url: str,
    kinds: Sequence[str],
    after: int | None,
    now: datetime,
    production: bool,
    private_targets: bool = False,
) -> Subscription:
    if production and not url.startswith("https://"):
        raise Unprocessable(
            "url: webhooks are delivered over https only",
            errors=[{"field": "url", "message": "must be https"}],
        )
    if not private_targets and (reason := await refused_target(url)):
        raise Unprocessable(f"url: {reason}", errors=[{"field": "url", "message": reason}])
    start = after if after is not None else await ledger.feed_cursor(session)
    subscription = Subscription(
        id=uuid.uuid4(),
        partner=partner.subject,
        url=url,
        kinds=_check_kinds(kinds),
        secret=secrets.token_hex(32),
        active=True,
        cursor=start,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(subscription)
    await session.flush()
    return subscription


async def owned(session: AsyncSession, subscription_id: uuid.UUID, partner: Principal) -> Subscription:
    found = await session.get(Subscription, subscription_id, with_for_update=True)
    if found is None:
        raise NotFound(f"no subscription {subscription_id}")
    if found.partner != partner.subject:
        raise Forbidden("a partner manages its own subscriptions only")
    return found


async def of_partner(session: AsyncSession, partner: Principal) -> Sequence[Subscription]:
    statement = (
        select(Subscription).where(Subscription.partner == partner.subject).order_by(Subscription.created_at)
    )
    return (await session.execute(statement)).scalars().all()


async def replay(
    session: AsyncSession, subscription: Subscription, *, after: int, now: datetime
) -> Subscription:
    subscription.cursor = after
    subscription.attempts = 0
    subscription.next_attempt_at = now
    subscription.last_error = None
    await session.flush()
    return subscription


def _due(now: datetime):  # type: ignore[no-untyped-def]
    return (
        (Subscription.active.is_(True))
        & (Subscription.next_attempt_at <= now)
        & or_(Subscription.leased_until.is_(None), Subscription.leased_until <= now)
    )


class WebhookDispatcher:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        timeout: float,
        backoff_base: float,
        backoff_max: float,
        lease_seconds: float = 60,
        private_targets: bool = False,
    ):
        self.sessions = sessions
        self.clock = clock
        self.timeout = timeout
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.private_targets = private_targets
        self.lease = timedelta(seconds=lease_seconds)

    async def run_once(self) -> int:
        """Deliver what is due to every subscription; returns the number of deliveries made."""
        now = self.clock.now()
        await feed.sequence(self.sessions)  # number what has committed, so it can be delivered
        async with self.sessions() as session, session.begin():
            candidates = (
                select(Subscription.id)
                .where(_due(now))
                .order_by(Subscription.next_attempt_at)
                .limit(20)
                .with_for_update(skip_locked=True)
            )
            claimed = (
                (
                    await session.execute(
                        update(Subscription)
                        .where(Subscription.id.in_(candidates.scalar_subquery()), _due(now))
                        .values(leased_until=now + self.lease)
                        .returning(Subscription.id)
                    )
                )
                .scalars()
                .all()
            )
        delivered = 0
        async with httpx.AsyncClient(timeout=self.timeout) as client:
            for subscription_id in claimed:
                delivered += await self._serve(client, subscription_id)
        return delivered

    async def _serve(self, client: httpx.AsyncClient, subscription_id: uuid.UUID) -> int:
        async with self.sessions() as session:
            sub = await session.get(Subscription, subscription_id)
            assert sub is not None
            changes = await ledger.changes_after(session, after=sub.cursor, limit=BATCH, kinds=sub.kinds)
            url, secret, start, attempts = sub.url, sub.secret, sub.cursor, sub.attempts
        cursor = start
        delivered, error = 0, None
        if changes and not self.private_targets and (reason := await refused_target(url)):
            changes, error = [], f"refused: {reason}"
        for change in changes:
            body = body_of(change)
            headers = {
                "Content-Type": "application/json",
                SIGNATURE_HEADER: sign(secret, int(time.time()), body),
                DELIVERY_HEADER: f"{subscription_id}:{change.position}",
            }
            try:
                response = await client.post(url, content=body, headers=headers)
                if 200 <= response.status_code < 300:
                    cursor, delivered = change.position, delivered + 1
                    continue
                error = f"answered {response.status_code}"
            except httpx.HTTPError as exc:
                error = f"unreachable: {type(exc).__name__}"
            break
        now = self.clock.now()
        async with self.sessions() as session, session.begin():
            sub = await session.get(Subscription, subscription_id, with_for_update=True)
            assert sub is not None
            if sub.cursor == start:  # unless a replay moved it meanwhile
                sub.cursor = cursor
            sub.leased_until = None
            if error is None:
                sub.attempts, sub.last_error = 0, None
                sub.next_attempt_at = now
            else:
                sub.attempts = attempts + 1
                delay = random.uniform(
                    self.backoff_base / 2, min(self.backoff_max, self.backoff_base * 2 ** (sub.attempts - 1))
                )
                sub.next_attempt_at = now + timedelta(seconds=delay)
                sub.last_error = error
                logger.warning(
                    "webhook delivery failed",
                    extra={"subscription": str(subscription_id), "attempt": sub.attempts, "error": error},
                )
        return delivered
