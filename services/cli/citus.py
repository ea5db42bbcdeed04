"""`qcr citus distribute`: place the registry's tables on a Citus cluster (idempotent).

The migrations already do this on a database with the `citus` extension; run it after adding the
extension to a database that was migrated without it, or to check: a second run places nothing.
`--coordinator HOST[:PORT]` and `--worker HOST[:PORT]` (repeatable) register the nodes first, once
each (docker-compose's `citus` profile runs it so before and after `qcr migrate`).
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from sqlalchemy.ext.asyncio import create_async_engine

from services.registry import citus
from services.registry.database import load_models
from services.registry.settings import RegistrySettings


def _node(value: str) -> tuple[str, int]:
    host, _, port = value.partition(":")
    return host, int(port or 5432)


async def _distribute(url: str, *, coordinator: str | None, workers: list[str]) -> int:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            if not await conn.run_sync(citus.has_citus):
                print("citus: the registry database has no citus extension; nothing to distribute")
                return 1
            added = await conn.run_sync(
                lambda sync: citus.register_nodes(
                    sync,
                    coordinator=_node(coordinator) if coordinator else None,
                    workers=[_node(w) for w in workers],
                )
            )
            if added:
                print(f"citus: {added} nodes registered")
        async with engine.begin() as conn:
            placed = await conn.run_sync(citus.distribute, load_models())
    finally:
        await engine.dispose()
    print(
        f"citus: {len(placed.distributed)} tables distributed by uscc, {len(placed.reference)} reference "
        f"tables, {len(placed.already)} already placed"
    )
    return 0


def run_citus(args: argparse.Namespace) -> int:
    settings = RegistrySettings(**({"data_dir": args.data_dir} if args.data_dir else {}))
    return asyncio.run(_distribute(settings.database_url, coordinator=args.coordinator, workers=args.worker))


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("citus", help="distribute the registry's tables on a Citus cluster (idempotent)")
    p.add_argument("action", choices=["distribute"])
    p.add_argument("--coordinator", help="HOST[:PORT] the workers reach the coordinator at")
    p.add_argument("--worker", action="append", default=[], help="HOST[:PORT] of a worker (repeatable)")
    p.add_argument("--data-dir", type=Path)
    p.set_defaults(run=run_citus)
