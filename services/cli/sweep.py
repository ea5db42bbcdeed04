"""`qcr sweep` and `qcr regrade`: write the time-driven changes once (for a separate worker or cron).

The service runs the same sweep itself on a lease (`REGISTRY_SWEEP_INTERVAL_SECONDS`); running this
beside it is safe: every step claims its rows with SKIP LOCKED.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import timedelta
from pathlib import Path

from services.common.clock import SystemClock
from services.common.db import create_engine
from services.registry.credit import service as credit
from services.registry.credit.rulebook import load_rule_book
from services.registry.ledger import checkpoints
from services.registry.lists.rules import load_list_rules
from services.registry.settings import RegistrySettings
from services.registry.subscribers import sessions as registry_sessions
from services.registry.sweep import service
from services.registry.sweep.service import _until_done


def _settings(args: argparse.Namespace) -> RegistrySettings:
    return RegistrySettings(**({"data_dir": args.data_dir} if args.data_dir else {}))


async def _sweep(settings: RegistrySettings) -> service.SweepResult:
    engine = create_engine(settings.database_url, pool_size=settings.db_pool_size)
    key_file = settings.ledger_key_file
    try:
        return await service.run_once(
            registry_sessions(engine, settings),
            book=load_rule_book(settings.rules_file),
            list_rules=load_list_rules(),
            clock=SystemClock(),
            key=checkpoints.load_key(key_file) if key_file and key_file.exists() else None,
            checkpoint_every=timedelta(seconds=settings.checkpoint_interval_seconds),
        )
    finally:
        await engine.dispose()


def run_sweep(args: argparse.Namespace) -> int:
    result = asyncio.run(_sweep(_settings(args)))
    print(
        f"regraded {result.regraded} enterprises, expired {result.expired} list entries, "
        f"withdrew {result.withdrawn} red-list entries, numbered {result.sequenced} ledger rows"
        + (f", signed checkpoint {result.checkpoint}" if result.checkpoint else "")
    )
    return 0


async def _regrade(settings: RegistrySettings, batch: int) -> int:
    book, clock = load_rule_book(settings.rules_file), SystemClock()
    engine = create_engine(settings.database_url, pool_size=settings.db_pool_size)
    try:
        return await _until_done(
            registry_sessions(engine, settings),
            lambda s: credit.regrade_due(
                s, rules=book.in_force(clock.now()), now=clock.now(), actor="system:regrade", batch=batch
            ),
        )
    finally:
        await engine.dispose()


def run_regrade(args: argparse.Namespace) -> int:
    settings = _settings(args)
    done = asyncio.run(_regrade(settings, args.batch))
    version = load_rule_book(settings.rules_file).in_force(SystemClock().now()).version
    print(f"regraded {done} enterprises under rules {version}")
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "sweep", help="write time-driven changes once: expiries, rules, list terms, checkpoint"
    )
    p.add_argument("--data-dir", type=Path)
    p.set_defaults(run=run_sweep)
    p = sub.add_parser("regrade", help="store fresh grades after a rules change or expiries")
    p.add_argument("--data-dir", type=Path)
    p.add_argument("--batch", type=int, default=500)
    p.set_defaults(run=run_regrade)
