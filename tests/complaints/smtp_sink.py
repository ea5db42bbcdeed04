"""A minimal SMTP server on loopback (RFC 5321 subset: EHLO, MAIL, RCPT, DATA, QUIT) that records mail."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field


@dataclass
class SmtpSink:
    refuse_rcpt: bool = False
    mails: list[tuple[str, bytes]] = field(default_factory=list)
    port: int = 0

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        def say(line: str) -> None:
            writer.write((line + "\r\n").encode())

        say("220 sink ESMTP")
        rcpt = ""
        while line := (await reader.readline()).decode().strip():
            verb = line.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                say("250 sink")
            elif verb == "MAIL":
                say("250 ok")
            elif verb == "RCPT":
                rcpt = line.split(":", 1)[1].strip("<> ")
                say("550 no such mailbox" if self.refuse_rcpt else "250 ok")
            elif verb == "DATA":
                say("354 go ahead")
                await writer.drain()
                body = b""
                while (chunk := await reader.readline()) != b".\r\n":
                    body += chunk
                self.mails.append((rcpt, body))
                say("250 queued")
            elif verb == "QUIT":
                say("221 bye")
                await writer.drain()
                break
            else:
                say("250 ok")
            await writer.drain()
        writer.close()

    @asynccontextmanager
    async def running(self) -> AsyncIterator[SmtpSink]:
        server = await asyncio.start_server(self._session, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        async with server:
            yield self
