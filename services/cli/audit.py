"""`qcr audit verify`: recompute the hash chain and name the first broken link."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from services.common.db import create_engine, session_factory
from services.registry.ledger import service as ledger
from services.registry.settings import RegistrySettings


async def _verify(settings: RegistrySettings) -> int:
    engine = create_engine(settings.database_url)
    try:
        async with session_factory(engine)() as session:
            checked, broken = await ledger.verify(session)
            head = await ledger.head(session)
    finally:
        await engine.dispose()
    if broken is not None:
        print(f"audit chain BROKEN at entry {broken.seq}: {broken.reason} ({checked} earlier entries intact)")
        return 1
    print(f"audit chain intact: {checked} entries, head {head.seq} {head.hash}")
    return 0


def run_audit(args: argparse.Namespace) -> int:
    settings = RegistrySettings(**({"data_dir": args.data_dir} if args.data_dir else {}))
    return asyncio.run(_verify(settings))


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("audit", help="verify the tamper-evident audit chain")
    p.add_argument("action", choices=["verify"])
    p.add_argument("--data-dir", type=Path)
    p.set_defaults(run=run_audit)
