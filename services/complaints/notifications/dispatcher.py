"""Delivers queued notifications through the configured sender, at least once, with backoff.

Logs carry the message id, kind and outcome only: never the address or the text.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.common.clock import Clock
from services.complaints.confidential import Vault
from services.complaints.notifications import service as notifications
from services.complaints.notifications.senders import (
    ByChannel,
    DeliveryError,
    EmailGateway,
    FileSink,
    Outgoing,
    Sender,
    SmsGateway,
)
from services.complaints.outbox import lease as leases
from services.complaints.settings import ComplaintsSettings

logger = logging.getLogger("qcr.notifications")


def build_sender(settings: ComplaintsSettings) -> Sender:
    if settings.notify_sender == "file":
        assert settings.notify_file is not None
        return FileSink(settings.notify_file)
    senders: dict[str, Sender] = {}
    if settings.sms_gateway_url and settings.sms_gateway_token:
        senders["sms"] = SmsGateway(settings.sms_gateway_url, settings.sms_gateway_token.get_secret_value())
    if settings.smtp_host:
        senders["email"] = EmailGateway(settings.smtp_host, settings.smtp_port, settings.smtp_from)
    return ByChannel(senders)


class NotificationDispatcher:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        settings: ComplaintsSettings,
        clock: Clock,
        vault: Vault,
        sender: Sender,
        worker: str | None = None,
    ):
        self.sessions, self.settings, self.clock, self.vault, self.sender = (
            sessions,
            settings,
            clock,
            vault,
            sender,
        )
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}:n"
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run_once(self) -> int:
        async with self.sessions() as session, session.begin():
            claimed = await notifications.claim(
                session,
                worker=self.worker,
                now=self.clock.now(),
                batch=self.settings.dispatch_batch,
                lease=timedelta(seconds=self.settings.lease_seconds),
            )
        for message in claimed:
            await self._deliver(message)
        return len(claimed)

    async def _deliver(self, message: notifications.Claimed) -> None:
        address = self.vault.open(message.address_enc)
        assert address is not None
        outgoing = Outgoing(message.id, message.channel, address, message.subject, message.body)
        try:
            await self.sender.send(outgoing)
        except DeliveryError as exc:
            await self._record("failed" if exc.permanent else "retry", message, exc.reason)
            return
        await self._record("sent", message, None)

    async def _record(self, outcome: str, message: notifications.Claimed, error: str | None) -> None:
        async with self.sessions() as session, session.begin():
            await notifications.record(
                session,
                message_id=message.id,
                worker=self.worker,
                outcome=outcome,
                error=error,
                now=self.clock.now(),
                base=self.settings.backoff_base_seconds,
                cap=self.settings.backoff_max_seconds,
            )
        leases.log_delivery(
            logger,
            "notification",
            outcome=outcome,
            attempt=message.attempts + 1,
            notification_id=message.id,
            kind=message.kind,
            error=error,
        )

    async def run_forever(self) -> None:
        await leases.poll_forever(
            self.run_once, self._wake, interval=self.settings.dispatch_interval_seconds, logger=logger
        )


def wake_notifier(app: Any) -> None:
    """After a commit that queued notifications: deliver now rather than at the next poll."""
    dispatcher = getattr(app.state, "notifier", None)
    if dispatcher is not None:
        dispatcher.wake()
