"""The hot read path's one interface: an enterprise's credit row and its list status, one code or many.

Each database dialect implements it in one module (`reads_pg` on the asyncpg driver with prepared
statements, `reads_core` through SQLAlchemy Core); everything above it (the answers, the batch)
is dialect-free. A row comes back as a tuple, never as an ORM object or a model:

    (uscc, name, status, score, grade, rule_version, explanation_json, version, lists)

where `explanation_json` is the stored explanation as JSON text (spliced into the answer as it is)
and `lists` the active list entries, each `(kind, entry_id, status, since, until, reason)` ordered
by kind and listing time. A batch row is the same without the explanation:

    (uscc, name, status, score, grade, rule_version, list_kinds)

The feed horizon is the newest feed position this process has seen, read before the row it is
sent with: every change up to it was committed before the row was read, so it is a true "at
least" for the answer without a global `max(position)` per lookup (which on a distributed
database would ask every shard).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any, Protocol

ListItem = tuple[str, str, str, datetime | None, datetime | None, str | None]
CreditRow = tuple[str, str, str, int, str, str, str, int, Sequence[ListItem]]
BatchRow = tuple[str, str, str, int, str, str, Sequence[str]]


class CreditReads(Protocol):
    async def credit_row(self, uscc: str, now: datetime) -> CreditRow | None:
        """One enterprise's row and its active list entries, in one statement."""

    async def batch_rows(self, codes: Sequence[str], now: datetime) -> dict[str, BatchRow]:
        """Many enterprises' rows and their active list kinds, in one statement."""

    async def search_rows(self, pattern: str, limit: int) -> list[tuple[str, str, str, str]]:
        """(uscc, name, status, grade) of the first `limit` enterprises by code whose name is LIKE
        `pattern` (backslash escapes)."""

    async def feed_position(self) -> int:
        """The newest feed position (what the horizon refreshes from)."""

    async def log_lookup(
        self, *, at: datetime, partner: str, lookup: str, purpose: str, codes: Sequence[str]
    ) -> None:
        """One access-log row for a partner's lookup, its codes in one array column."""

    async def close(self) -> None: ...


class Horizon:
    """The newest feed position seen, refreshed at most every `ttl` seconds, one refresh at a time.

    Positions only grow, so a value read earlier is still a lower bound for a row read later.
    """

    def __init__(self, read: Callable[[], Awaitable[int]], ttl: float = 0.2):
        self._read = read
        self.ttl = ttl
        self.value = 0
        self._at = float("-inf")
        self._refreshing: asyncio.Task[Any] | None = None

    async def get(self) -> int:
        if time.monotonic() - self._at < self.ttl:
            return self.value
        if self._refreshing is None:
            self._refreshing = asyncio.ensure_future(self._refresh())
        task = self._refreshing
        if self.value == 0 or self.ttl == 0:
            await asyncio.shield(task)  # nothing usable yet: wait for the first read
        return self.value

    async def _refresh(self) -> None:
        try:
            started = time.monotonic()
            value = await self._read()
            self.value = max(self.value, value)
            self._at = started
        finally:
            self._refreshing = None


def open_reads(database_url: str, *, engine: Any, pool_size: int) -> Awaitable[CreditReads]:
    """The implementation for the configured database."""
    if database_url.startswith("postgresql"):
        from services.registry.answers import reads_pg

        return reads_pg.open_reads(database_url, pool_size=pool_size)
    from services.registry.answers import reads_core

    return reads_core.open_reads(engine)
