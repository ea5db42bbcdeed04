"""`qcr import enterprises|prefixes|products FILE`: with progress, bad rows by line, all or nothing."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.clock import SystemClock
from services.common.db import create_engine
from services.registry.credit.rulebook import load_rule_book
from services.registry.imports import service
from services.registry.imports.reader import BadRow
from services.registry.products import item_import, prefix_import
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
        bus = build_bus(load_rule_book(settings.rules_file))
        async with engine.begin() as conn:
            return await service.load(
                conn, prepared, progress=ProgressBar(), bus=bus, source=source, actor="import:cli"
            )
    finally:
        await engine.dispose()


def _refuse(path: Path, bad: list[BadRow]) -> int:
    for row in bad[:MAX_REPORTED]:
        print(f"{path.name}:{row.line}: {row.message}", file=sys.stderr)
    if len(bad) > MAX_REPORTED:
        print(f"... and {len(bad) - MAX_REPORTED} more bad rows", file=sys.stderr)
    print(f"nothing imported: {len(bad)} bad row(s); fix them and run again", file=sys.stderr)
    return 1


class _Rejected(Exception):
    def __init__(self, loaded: prefix_import.Loaded):
        self.loaded = loaded


Loader = Callable[[AsyncConnection], Awaitable[prefix_import.Loaded]]


async def _write_checked(settings: RegistrySettings, load: Loader) -> prefix_import.Loaded:
    """Run `load` in one transaction, rolled back when it finds bad rows against the database."""
    engine = create_engine(settings.database_url)
    try:
        async with engine.begin() as conn:
            loaded = await load(conn)
            if loaded.bad:
                raise _Rejected(loaded)  # leaving the block by an exception rolls the transaction back
            return loaded
    except _Rejected as rejected:
        return rejected.loaded
    finally:
        await engine.dispose()


def _load_checked(path: Path, settings: RegistrySettings, load: Loader, what: str, started: float) -> int:
    loaded = asyncio.run(_write_checked(settings, load))
    if loaded.bad:
        return _refuse(path, sorted(loaded.bad, key=lambda b: b.line))
    print(
        f"imported {loaded.imported:,} {what}; {loaded.skipped_existing:,} already registered, "
        f"skipped; {time.monotonic() - started:.1f}s"
    )
    return 0


def import_prefixes(path: Path, settings: RegistrySettings) -> int:
    started = time.monotonic()
    now = SystemClock().now()
    prepared = prefix_import.prepare(path, now=now)
    total = len(prepared.rows) + len(prepared.bad)
    ProgressBar()("validated", total, total)
    if prepared.bad:
        return _refuse(path, prepared.bad)

    def load(conn: AsyncConnection) -> Awaitable[prefix_import.Loaded]:
        return prefix_import.load(conn, prepared, now=now, progress=ProgressBar())

    return _load_checked(path, settings, load, "company prefixes", started)


def import_products(path: Path, settings: RegistrySettings) -> int:
    started = time.monotonic()
    now = SystemClock().now()
    rows, bad = item_import.prepare(path)
    ProgressBar()("validated", len(rows) + len(bad), len(rows) + len(bad))
    if bad:
        return _refuse(path, bad)

    def load(conn: AsyncConnection) -> Awaitable[prefix_import.Loaded]:
        return item_import.load(conn, rows, now=now, progress=ProgressBar())

    return _load_checked(path, settings, load, "items", started)


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
        return _refuse(path, prepared.bad)
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
        if args.what == "prefixes":
            return import_prefixes(args.file, settings)
        if args.what == "products":
            return import_products(args.file, settings)
        return import_file(args.file, settings)
    except ValueError as exc:
        print(f"qcr import: {exc}", file=sys.stderr)
        return 1


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("import", help="bulk-load enterprises, company prefixes or items (CSV or JSON Lines)")
    p.add_argument("what", choices=["enterprises", "prefixes", "products"])
    p.add_argument(
        "file",
        type=Path,
        help="enterprises: .csv (uscc,name[,address]) or .jsonl (with events); "
        "prefixes: prefix,uscc,registered_on[,valid_until,status,cancelled_on]; "
        "products: gtin,uscc,name[,brand,category,standards]",
    )
    p.add_argument("--data-dir", type=Path)
    p.set_defaults(run=run_import)
