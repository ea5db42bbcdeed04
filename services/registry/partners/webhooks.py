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
import logging
import random
import secrets
import time
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

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
from services.registry.partners.targets import Target, TargetRefused, host_name, vet

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


# What the partner is told about any failed delivery. The reason (refused, unreachable, answered 403)
# goes to the registry's log only: told to the partner, it would turn the registry into a scanner of
# whatever network it can reach.
DELIVERY_FAILED = "delivery failed; retried with backoff (the receiver must answer 2xx)"


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
    try:
        if private_targets:  # local tests: any address will do, only the name must be one
            host_name(url)
        else:
            await vet(url, private_targets=False)
    except TargetRefused as exc:
        raise Unprocessable(f"url: {exc}", errors=[{"field": "url", "message": str(exc)}]) from exc
    except (OSError, ValueError):
        pass  # not resolvable now: every delivery resolves and vets again
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
    """Delivers due changes, each subscription in its own task under its own lease.

    The lease is the fence: `leased_until` as the claim (or the last renewal) set it. Every write of
    a pass (the cursor after each POST, the lease renewed for the next one, the outcome) is made only
    where the row still carries that value; a replica whose lease ran out finds another value there
    and stops, so two replicas never deliver the same subscription at once, nor out of order.
    """

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
        if lease_seconds <= timeout:
            raise ValueError("the lease must outlast one delivery (lease_seconds > timeout)")
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
        leased_until = now + self.lease
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
                        .values(leased_until=leased_until)
                        .returning(Subscription.id)
                    )
                )
                .scalars()
                .all()
            )
        if not claimed:
            return 0
        async with httpx.AsyncClient(timeout=self.timeout, follow_redirects=False) as client:
            served = await asyncio.gather(*(self._serve(client, sid, leased_until) for sid in claimed))
        return sum(served)

    async def _write(self, subscription_id: uuid.UUID, lease: datetime, at: int, **values: object) -> bool:
        """Apply `values` if this pass still holds the lease and nobody moved the cursor (a replay)."""
        async with self.sessions() as session, session.begin():
            written = await session.execute(
                update(Subscription)
                .where(
                    Subscription.id == subscription_id,
                    Subscription.leased_until == lease,
                    Subscription.cursor == at,
                )
                .values(**values)
                .returning(Subscription.id)
            )
            return written.first() is not None

    async def _serve(self, client: httpx.AsyncClient, subscription_id: uuid.UUID, lease: datetime) -> int:
        async with self.sessions() as session:
            sub = await session.get(Subscription, subscription_id)
            assert sub is not None
            changes = await ledger.changes_after(session, after=sub.cursor, limit=BATCH, kinds=sub.kinds)
            url, secret, cursor, attempts = sub.url, sub.secret, sub.cursor, sub.attempts
        delivered, error = 0, None
        target: Target | None = None
        if changes:
            try:
                target = await vet(url, private_targets=self.private_targets)
            except (TargetRefused, OSError, ValueError) as exc:
                error = f"refused or unresolvable: {exc}"
        for change in changes if target is not None else []:
            assert target is not None  # for the type checker: the loop runs only with a target
            body = body_of(change)
            headers = {
                "Host": target.host_header,
                "Content-Type": "application/json",
                SIGNATURE_HEADER: sign(secret, int(time.time()), body),
                DELIVERY_HEADER: f"{subscription_id}:{change.position}",
            }
            extensions = {"sni_hostname": target.sni_hostname} if target.sni_hostname else {}
            try:
                response = await client.post(target.url, content=body, headers=headers, extensions=extensions)
            except httpx.HTTPError as exc:
                error = f"unreachable: {type(exc).__name__}"
                break
            if not 200 <= response.status_code < 300:
                error = f"answered {response.status_code}"
                break
            renewed = self.clock.now() + self.lease
            held = await self._write(
                subscription_id,
                lease,
                cursor,
                cursor=change.position,
                leased_until=renewed,
                attempts=0,
                last_error=None,
            )
            if not held:
                # Lost the lease, or a replay moved the cursor: give back whatever is still ours.
                async with self.sessions() as session, session.begin():
                    await session.execute(
                        update(Subscription)
                        .where(Subscription.id == subscription_id, Subscription.leased_until == lease)
                        .values(leased_until=None)
                    )
                logger.warning(
                    "webhook lease lost; another replica serves", extra={"subscription": str(subscription_id)}
                )
                return delivered + 1
            lease, cursor, delivered, attempts = renewed, change.position, delivered + 1, 0
        now = self.clock.now()
        if error is None:
            await self._write(subscription_id, lease, cursor, leased_until=None, next_attempt_at=now)
            return delivered
        attempts += 1
        delay = random.uniform(
            self.backoff_base / 2, min(self.backoff_max, self.backoff_base * 2 ** (attempts - 1))
        )
        await self._write(
            subscription_id,
            lease,
            cursor,
            leased_until=None,
            attempts=attempts,
            next_attempt_at=now + timedelta(seconds=delay),
            last_error=DELIVERY_FAILED,
        )
        logger.warning(
            "webhook delivery failed",
            extra={"subscription": str(subscription_id), "attempt": attempts, "error": error},
        )
        return delivered
