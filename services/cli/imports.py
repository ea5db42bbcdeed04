"""`qcr import enterprises|prefixes FILE`: bulk load with progress; bad rows named by line; all or nothing."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

from services.common.clock import SystemClock
from services.common.db import create_engine
from services.registry.imports import service
from services.registry.imports.reader import BadRow
from services.registry.products import prefix_import
from services.registry.settings import RegistrySettings

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


async def _write(settings: RegistrySettings, prepared: service.Prepared) -> service.ImportResult:
    engine = create_engine(settings.database_url)
    try:
        async with engine.begin() as conn:
            return await service.load(conn, prepared, progress=ProgressBar())
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


async def _write_prefixes(
    settings: RegistrySettings, prepared: prefix_import.Prepared
) -> prefix_import.Loaded:
    engine = create_engine(settings.database_url)
    try:
        async with engine.begin() as conn:
            loaded = await prefix_import.load(conn, prepared, now=SystemClock().now(), progress=ProgressBar())
            if loaded.bad:
                raise _Rejected(loaded)  # leaving the block by an exception rolls the transaction back
            return loaded
    except _Rejected as rejected:
        return rejected.loaded
    finally:
        await engine.dispose()


def import_prefixes(path: Path, settings: RegistrySettings) -> int:
    started = time.monotonic()
    prepared = prefix_import.prepare(path, now=SystemClock().now())
    total = len(prepared.rows) + len(prepared.bad)
    ProgressBar()("validated", total, total)
    if prepared.bad:
        return _refuse(path, prepared.bad)
    loaded = asyncio.run(_write_prefixes(settings, prepared))
    if loaded.bad:
        return _refuse(path, sorted(loaded.bad, key=lambda b: b.line))
    print(
        f"imported {loaded.imported:,} company prefixes; {loaded.skipped_existing:,} already registered, "
        f"skipped; {time.monotonic() - started:.1f}s"
    )
    return 0


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
    result = asyncio.run(_write(settings, prepared))
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
        return import_file(args.file, settings)
    except ValueError as exc:
        print(f"qcr import: {exc}", file=sys.stderr)
        return 1


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("import", help="bulk-load enterprises or company prefixes (CSV or JSON Lines)")
    p.add_argument("what", choices=["enterprises", "prefixes"])
    p.add_argument(
        "file",
        type=Path,
        help="enterprises: .csv (uscc,name[,address]) or .jsonl (with events); "
        "prefixes: prefix,uscc,registered_on[,valid_until,status,cancelled_on]",
    )
    p.add_argument("--data-dir", type=Path)
    p.set_defaults(run=run_import)
