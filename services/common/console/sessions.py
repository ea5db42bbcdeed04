"""Console sessions: a server-side record per signed-in person, behind a random cookie token.

The cookie holds a random token; the table holds only its SHA-256, so a leaked table opens nothing.
A sign-in in progress is a `pending` row (OpenID Connect state, PKCE verifier, nonce); the callback
deletes it and creates the `active` row under a new token (no session fixation). Sessions end at
`expires_at`, at sign-out, or when revoked (`revoke_subject`: every session of a person).
Not per-enterprise: a person's session, keyed by its token hash alone.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Column, Index, MetaData, String, Table, Text, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.db import UTCDateTime

TABLE = "console_session"
PENDING_SECONDS = 600  # a sign-in must come back from the identity provider within 10 minutes


def session_table(metadata: MetaData) -> Table:
    """The table, declared on a service's own metadata (each service keeps its own)."""
    return Table(
        TABLE,
        metadata,
        Column("id", String(64), primary_key=True),  # sha256 hex of the cookie token
        Column("state", String(8), nullable=False),  # pending | active
        Column("role", String(16)),
        Column("subject", String(200)),
        Column("uscc", String(18)),
        Column("display_name", String(200)),
        Column("issuer", String(500)),
        Column("csrf", String(64), nullable=False),
        Column("oidc_state", String(128)),
        Column("code_verifier", String(128)),
        Column("nonce", String(128)),
        Column("next_path", String(500)),
        Column("id_token", Text),
        Column("created_at", UTCDateTime(), nullable=False),
        Column("expires_at", UTCDateTime(), nullable=False),
        Column("revoked_at", UTCDateTime()),
        Index("ix_console_session_subject", "subject"),
        Index("ix_console_session_expires_at", "expires_at"),
    )


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class SessionRecord:
    id: str
    state: str
    role: str | None
    subject: str | None
    uscc: str | None
    display_name: str | None
    issuer: str | None
    csrf: str
    oidc_state: str | None
    code_verifier: str | None
    nonce: str | None
    next_path: str | None
    id_token: str | None
    expires_at: datetime


class SessionStore:
    def __init__(self, table: Table):
        self.table = table

    async def start_pending(
        self,
        db: AsyncSession,
        *,
        now: datetime,
        next_path: str,
        oidc_state: str | None = None,
        code_verifier: str | None = None,
        nonce: str | None = None,
    ) -> tuple[str, SessionRecord]:
        token = secrets.token_urlsafe(32)
        values = {
            "id": _hash(token),
            "state": "pending",
            "csrf": secrets.token_urlsafe(24),
            "oidc_state": oidc_state,
            "code_verifier": code_verifier,
            "nonce": nonce,
            "next_path": next_path,
            "created_at": now,
            "expires_at": now + timedelta(seconds=PENDING_SECONDS),
        }
        await db.execute(insert(self.table).values(**values))
        return token, await self._require(db, _hash(token))

    async def activate(
        self,
        db: AsyncSession,
        pending: SessionRecord,
        *,
        now: datetime,
        lifetime_seconds: int,
        role: str,
        subject: str,
        issuer: str,
        uscc: str | None,
        display_name: str | None,
        id_token: str | None,
    ) -> tuple[str, SessionRecord]:
        """Replace the pending row by an active session under a fresh token."""
        await db.execute(delete(self.table).where(self.table.c.id == pending.id))
        token = secrets.token_urlsafe(32)
        values = {
            "id": _hash(token),
            "state": "active",
            "role": role,
            "subject": subject,
            "uscc": uscc,
            "display_name": display_name,
            "issuer": issuer,
            "csrf": secrets.token_urlsafe(24),
            "next_path": pending.next_path,
            "id_token": id_token,
            "created_at": now,
            "expires_at": now + timedelta(seconds=lifetime_seconds),
        }
        await db.execute(insert(self.table).values(**values))
        return token, await self._require(db, _hash(token))

    async def find(self, db: AsyncSession, token: str | None, *, now: datetime) -> SessionRecord | None:
        """The live record behind a cookie token, or None (unknown, expired or revoked)."""
        if not token or len(token) > 100:
            return None
        record = await self._get(db, _hash(token))
        if record is None or record.expires_at <= now:
            return None
        return record

    async def revoke(self, db: AsyncSession, session_id: str, *, now: datetime) -> None:
        await db.execute(
            update(self.table)
            .where(self.table.c.id == session_id, self.table.c.revoked_at.is_(None))
            .values(revoked_at=now, expires_at=now)
        )

    async def revoke_subject(self, db: AsyncSession, subject: str, *, now: datetime) -> int:
        """End every live session of one person (an account withdrawn, a device lost)."""
        result = await db.execute(
            update(self.table)
            .where(self.table.c.subject == subject, self.table.c.revoked_at.is_(None))
            .where(self.table.c.expires_at > now)
            .values(revoked_at=now, expires_at=now)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def purge(self, db: AsyncSession, *, before: datetime) -> None:
        """Forget sessions that ended before `before`."""
        await db.execute(delete(self.table).where(self.table.c.expires_at < before))

    async def _get(self, db: AsyncSession, session_id: str) -> SessionRecord | None:
        row = (await db.execute(select(self.table).where(self.table.c.id == session_id))).mappings().first()
        if row is None:
            return None
        return SessionRecord(**{k: row[k] for k in SessionRecord.__dataclass_fields__})

    async def _require(self, db: AsyncSession, session_id: str) -> SessionRecord:
        record = await self._get(db, session_id)
        assert record is not None
        return record
