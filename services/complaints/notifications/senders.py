"""Where notifications go: one interface, an SMS and an e-mail gateway, and a development file sink.

A sender raises DeliveryError with a reason that never contains the address or the text.
"""

from __future__ import annotations

import asyncio
import json
import os
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

import httpx


@dataclass(frozen=True)
class Outgoing:
    message_id: int
    channel: str  # sms | email
    address: str
    subject: str
    body: str


class DeliveryError(Exception):
    def __init__(self, reason: str, *, permanent: bool):
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


class Sender(Protocol):
    async def send(self, message: Outgoing) -> None: ...


class FileSink:
    """DEVELOPMENT ONLY: appends each message as a JSON line to a file readable by its owner only."""

    def __init__(self, path: Path):
        self.path = path

    def _append(self, line: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")

    async def send(self, message: Outgoing) -> None:
        record = {
            "id": message.message_id,
            "channel": message.channel,
            "to": message.address,
            "subject": message.subject,
            "body": message.body,
        }
        await asyncio.to_thread(self._append, json.dumps(record, ensure_ascii=False))


class SmsGateway:
    """An HTTP SMS gateway: POST {"to", "text", "reference"} with a bearer token; 2xx is accepted."""

    def __init__(
        self, url: str, token: str, *, timeout: float = 5.0, client: httpx.AsyncClient | None = None
    ):
        self.url, self.token, self.timeout, self._client = url, token, timeout, client

    async def send(self, message: Outgoing) -> None:
        body = {
            "to": message.address,
            "text": f"【{message.subject}】{message.body}",
            "reference": str(message.message_id),
        }
        client = self._client or httpx.AsyncClient(timeout=self.timeout)
        try:
            response = await client.post(
                self.url, json=body, headers={"Authorization": f"Bearer {self.token}"}
            )
        except httpx.HTTPError as exc:
            raise DeliveryError(f"sms gateway unreachable: {type(exc).__name__}", permanent=False) from None
        finally:
            if self._client is None:
                await client.aclose()
        if response.status_code >= 500 or response.status_code in (408, 429):
            raise DeliveryError(f"sms gateway answered {response.status_code}", permanent=False)
        if response.status_code >= 400:
            raise DeliveryError(f"sms gateway refused the message ({response.status_code})", permanent=True)


class EmailGateway:
    """An SMTP relay (STARTTLS when offered); runs the blocking smtplib client in a thread."""

    def __init__(self, host: str, port: int, sender: str, *, timeout: float = 10.0):
        self.host, self.port, self.sender, self.timeout = host, port, sender, timeout

    def _send(self, message: Outgoing) -> None:
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = self.sender, message.address, message.subject
        mail.set_content(message.body)
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            smtp.ehlo()
            if smtp.has_extn("starttls"):
                smtp.starttls()
                smtp.ehlo()
            smtp.send_message(mail)

    async def send(self, message: Outgoing) -> None:
        try:
            await asyncio.to_thread(self._send, message)
        except smtplib.SMTPRecipientsRefused:
            raise DeliveryError("mail relay refused the recipient", permanent=True) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"mail relay failed: {type(exc).__name__}", permanent=False) from None


class ByChannel:
    """Routes each message to the sender for its channel."""

    def __init__(self, senders: dict[str, Sender]):
        self.senders = senders

    async def send(self, message: Outgoing) -> None:
        sender = self.senders.get(message.channel)
        if sender is None:
            raise DeliveryError(f"no sender configured for {message.channel}", permanent=False)
        await sender.send(message)
