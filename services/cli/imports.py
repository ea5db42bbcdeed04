"""`qcr import enterprises FILE`: bulk load with progress; bad rows named by line; all or nothing."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

from services.common.clock import SystemClock
from services.common.db import create_engine
from services.registry.credit.rules import load_rules
from services.registry.imports import service
from services.registry.settings import RegistrySettings
from services.registry.subscribers import build_bus

MAX_REPORTED = 50


class ProgressBar:
    def __init__(self, stream=sys.stderr):  # type: ignore[no-untyped-def]
        self.stream = stream
        self.started = time.monotonic()

    def __call__(self, what: str, done: int, total: int) -> None:
        width = 30
        filled = int(width * done / total) if total else width
        rate = done / max(time.monotonic() - self.started, 1e-9)
        self.stream.write(
            f"\r{what:<14} [{'#' * filled}{'.' * (width - filled)}] {done:>11,}/{total:,}  {rate:,.0f}/s"
        )
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()


async def _write(settings: RegistrySettings, prepared: service.Prepared, source: str) -> service.ImportResult:
    engine = create_engine(settings.database_url)
    try:
        bus = build_bus(load_rules(settings.rules_file))
        async with engine.begin() as conn:
            return await service.load(
                conn, prepared, progress=ProgressBar(), bus=bus, source=source, actor="import:cli"
            )
    finally:
        await engine.dispose()


def import_file(path: Path, settings: RegistrySettings) -> int:
    started = time.monotonic()
    prepared = service.prepare(
        path,
        rules_file=settings.rules_file,
        now=SystemClock().now(),
        actor="import:cli",
        progress=ProgressBar(),
    )
    print(
        f"validated {len(prepared.keys) + len(prepared.bad):,} rows in {time.monotonic() - started:.1f}s",
        file=sys.stderr,
    )
    if prepared.bad:
        for row in prepared.bad[:MAX_REPORTED]:
            print(f"{path.name}:{row.line}: {row.message}", file=sys.stderr)
        if len(prepared.bad) > MAX_REPORTED:
            print(f"... and {len(prepared.bad) - MAX_REPORTED} more bad rows", file=sys.stderr)
        print(f"nothing imported: {len(prepared.bad)} bad row(s); fix them and run again", file=sys.stderr)
        return 1
    result = asyncio.run(_write(settings, prepared, path.name))
    print(
        f"imported {result.enterprises:,} enterprises and {result.events:,} credit events; "
        f"{result.skipped_existing:,} already registered, skipped; {time.monotonic() - started:.1f}s"
    )
    return 0


def run_import(args: argparse.Namespace) -> int:
    if not args.file.exists():
        print(f"qcr import: no such file {args.file}", file=sys.stderr)
        return 2
    settings = RegistrySettings(**({"data_dir": args.data_dir} if args.data_dir else {}))
    try:
        return import_file(args.file, settings)
    except ValueError as exc:
        print(f"qcr import: {exc}", file=sys.stderr)
        return 1


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("import", help="bulk-load enterprises (CSV or JSON Lines, with events)")
    p.add_argument("what", choices=["enterprises"])
    p.add_argument("file", type=Path, help=".csv (uscc,name[,address]) or .jsonl (with events)")
    p.add_argument("--data-dir", type=Path)
    p.set_defaults(run=run_import)
