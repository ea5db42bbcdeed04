"""`qcr lists sweep`: record the expiry of list entries whose publication term has ended.

Idempotent, and safe from cron on every replica at once: rows another sweep holds are skipped.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from services.common.clock import SystemClock
from services.common.db import create_engine
from services.registry.lists.rules import load_list_rules
from services.registry.lists.sweeper import sweep_all
from services.registry.settings import RegistrySettings
from services.registry.subscribers import sessions as registry_sessions


async def _sweep(settings: RegistrySettings) -> int:
    engine = create_engine(settings.database_url, pool_size=settings.db_pool_size)
    try:
        return await sweep_all(
            registry_sessions(engine, settings), list_rules=load_list_rules(), clock=SystemClock()
        )
    finally:
        await engine.dispose()


def run_sweep(args: argparse.Namespace) -> int:
    settings = RegistrySettings(**({"data_dir": args.data_dir} if args.data_dir else {}))
    expired = asyncio.run(_sweep(settings))
    print(f"expired {expired} list entries whose publication term has ended")
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("lists", help="red and black lists")
    commands = p.add_subparsers(dest="lists_command", required=True)
    sweep = commands.add_parser("sweep", help="remove entries whose publication term has ended")
    sweep.add_argument("--data-dir", type=Path)
    sweep.set_defaults(run=run_sweep)
