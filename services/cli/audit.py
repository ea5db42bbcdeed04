"""`qcr audit verify|checkpoint`: check every chain and every signed checkpoint, or sign one now."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from services.common.clock import SystemClock
from services.common.db import create_engine
from services.registry.ledger import chain, checkpoints, feed
from services.registry.settings import RegistrySettings
from services.registry.subscribers import sessions as registry_sessions


async def _verify(settings: RegistrySettings) -> int:
    assert settings.ledger_key_file is not None
    public = checkpoints.load_key(settings.ledger_key_file).public_key()
    engine = create_engine(settings.database_url)
    try:
        async with registry_sessions(engine, settings)() as session:
            checked, broken = await chain.verify_chains(session)
            if broken is not None:
                print(f"audit chain BROKEN: {broken.describe()} ({checked} entries before it intact)")
                return 1
            signed, bad = await checkpoints.verify(session, public_keys={checkpoints.key_id(public): public})
    finally:
        await engine.dispose()
    if bad is not None:
        print(f"audit checkpoint BROKEN: checkpoint {bad.id}: {bad.reason} ({signed} earlier intact)")
        return 1
    print(f"audit intact: {checked} entries in their chains, {signed} signed checkpoints verified")
    return 0


async def _checkpoint(settings: RegistrySettings) -> int:
    assert settings.ledger_key_file is not None
    key = checkpoints.load_key(settings.ledger_key_file)
    engine = create_engine(settings.database_url)
    try:
        sessions = registry_sessions(engine, settings)
        await feed.sequence(sessions)  # number and publish what has committed, then sign it
        async with sessions() as session:
            made = await checkpoints.make(session, key=key, now=SystemClock().now())
            await session.commit()
    finally:
        await engine.dispose()
    print(f"checkpoint {made.id}: {made.chains} chains, tree size {made.tree_size}, root {made.root}")
    return 0


def run_audit(args: argparse.Namespace) -> int:
    settings = RegistrySettings(**({"data_dir": args.data_dir} if args.data_dir else {}))
    return asyncio.run(_verify(settings) if args.action == "verify" else _checkpoint(settings))


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("audit", help="verify the audit chains and signed checkpoints, or sign one")
    p.add_argument("action", choices=["verify", "checkpoint"])
    p.add_argument("--data-dir", type=Path)
    p.set_defaults(run=run_audit)
