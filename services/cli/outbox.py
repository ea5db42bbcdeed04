"""`qcr outbox run|list|retry [ID | --all-failed]`: the feed worker and its operator tools."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from services.common.clock import SystemClock
from services.common.db import create_engine, session_factory
from services.complaints.outbox import service as outbox
from services.complaints.outbox.dispatcher import Dispatcher
from services.complaints.settings import ComplaintsSettings


def _settings(args: argparse.Namespace) -> ComplaintsSettings:
    extra: dict[str, object] = {}
    if args.data_dir:
        extra["data_dir"] = args.data_dir
    if getattr(args, "registry_url", None):
        extra["registry_url"] = args.registry_url
    return ComplaintsSettings(**extra)  # type: ignore[arg-type]


async def _run(settings: ComplaintsSettings, once: bool) -> int:
    engine = create_engine(settings.database_url, pool_size=settings.db_pool_size)
    try:
        dispatcher = Dispatcher(sessions=session_factory(engine), settings=settings, clock=SystemClock())
        if once:
            total = 0
            while attempted := await dispatcher.run_once():
                total += attempted
            return total
        await dispatcher.run_forever()
        return 0
    finally:
        await engine.dispose()


async def _list(settings: ComplaintsSettings, status: str | None) -> None:
    engine = create_engine(settings.database_url)
    try:
        async with session_factory(engine)() as session:
            rows = await outbox.listing(session, status=status)
        print(f"{'id':>6}  {'status':<8} {'attempts':>8}  {'uscc':<18}  complaint / last error")
        for r in rows:
            print(
                f"{r.id:>6}  {r.status:<8} {r.attempts:>8}  {r.uscc:<18}  {r.complaint_id}"
                + (f"  {r.last_error}" if r.last_error else "")
            )
    finally:
        await engine.dispose()


async def _retry(settings: ComplaintsSettings, message_id: int | None) -> int:
    """Queue one failed message, or (no id) every failed one; returns how many."""
    engine = create_engine(settings.database_url)
    try:
        async with session_factory(engine)() as session, session.begin():
            now = SystemClock().now()
            if message_id is None:
                return await outbox.retry_all_failed(session, now=now)
            await outbox.retry(session, message_id=message_id, now=now)
            return 1
    finally:
        await engine.dispose()


def run_outbox(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if args.action == "run":
        attempted = asyncio.run(_run(settings, args.once))
        if args.once:
            print(f"attempted {attempted} deliveries")
    elif args.action == "list":
        asyncio.run(_list(settings, args.status))
    else:
        if (args.id is None) == (not args.all_failed):
            print("qcr outbox retry: give the id of a failed message, or --all-failed")
            return 2
        queued = asyncio.run(_retry(settings, args.id))
        if args.all_failed:
            print(f"{queued} failed messages queued again")
        else:
            print(f"outbox message {args.id} queued again")
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("outbox", help="deliver queued credit events to the registry, list or retry them")
    p.add_argument("action", choices=["run", "list", "retry"])
    p.add_argument("id", nargs="?", type=int, help="message id (retry)")
    p.add_argument("--once", action="store_true", help="run: deliver what is due, then exit")
    p.add_argument("--status", choices=["pending", "sent", "failed"], help="list: only this status")
    p.add_argument("--all-failed", action="store_true", help="retry: every failed message")
    p.add_argument("--data-dir", type=Path)
    p.add_argument("--registry-url")
    p.set_defaults(run=run_outbox)
