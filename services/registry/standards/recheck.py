"""Running the comparison with the mandatory values over every published declaration.

After the regulator edits the mandatory-values file, `qcr standards recheck` flags the declarations
that have become weaker (under review). One committed transaction per batch, so no enterprise row is
held for the whole run; safe to re-run (nothing is flagged twice for one version of the file).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.common.clock import Clock
from services.registry.standards import service
from services.registry.standards.reference import Reference


async def recheck_all(
    sessions: async_sessionmaker[AsyncSession], *, reference: Reference, clock: Clock, batch: int = 200
) -> int:
    flagged, after = 0, None
    while True:
        async with sessions() as session:  # a unit of work: its commit audits and announces the flags
            done, after = await service.recheck_batch(
                session, reference=reference, now=clock.now(), after=after, batch=batch
            )
            await session.commit()
        flagged += done
        if after is None:
            return flagged
