"""`qcr standards recheck`: flag published declarations weaker than the mandatory values now in force."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from services.common.clock import SystemClock
from services.common.db import create_engine
from services.registry.settings import RegistrySettings
from services.registry.standards.recheck import recheck_all
from services.registry.standards.reference import load_reference
from services.registry.subscribers import sessions as registry_sessions


async def _recheck(settings: RegistrySettings, reference_file: Path) -> tuple[str, int]:
    reference = load_reference(reference_file)
    engine = create_engine(settings.database_url, pool_size=settings.db_pool_size)
    try:
        flagged = await recheck_all(
            registry_sessions(engine, settings), reference=reference, clock=SystemClock()
        )
    finally:
        await engine.dispose()
    return reference.version, flagged


def run_recheck(args: argparse.Namespace) -> int:
    settings = RegistrySettings(**({"data_dir": args.data_dir} if args.data_dir else {}))
    version, flagged = asyncio.run(_recheck(settings, args.reference or settings.standards_reference_file))
    print(f"mandatory values {version}: flagged {flagged} declarations as weaker (under review)")
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("standards", help="self-declared standards")
    commands = p.add_subparsers(dest="standards_command", required=True)
    recheck = commands.add_parser(
        "recheck", help="flag published declarations weaker than the mandatory values (after editing them)"
    )
    recheck.add_argument("--data-dir", type=Path)
    recheck.add_argument("--reference", type=Path, help="mandatory-values file (default: the configured one)")
    recheck.set_defaults(run=run_recheck)
