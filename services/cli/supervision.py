"""`qcr inspections draw|export|classify` and `qcr warnings run`: classified supervision from the shell."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import getpass
import sys
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.common.auth import Principal
from services.common.clock import SystemClock
from services.common.db import create_engine, session_factory
from services.common.roles import Role
from services.registry.enterprises.models import Enterprise
from services.registry.settings import RegistrySettings
from services.registry.supervision import classes, plans
from services.registry.supervision.models import InspectionTask
from services.registry.warnings import job

T = TypeVar("T")
EXPORT_COLUMNS = (
    "task_id",
    "uscc",
    "name",
    "risk_class",
    "status",
    "product",
    "category",
    "sample_ref",
    "test_result",
    "retest_result",
    "final_result",
    "finalised_at",
    "credit_event_id",
)


def _settings(args: argparse.Namespace) -> RegistrySettings:
    return RegistrySettings(**({"data_dir": args.data_dir} if args.data_dir else {}))


def _actor() -> Principal:
    return Principal(role=Role.regulator, subject=f"cli:{getpass.getuser()}", issuer="qcr-cli")


def _run(settings: RegistrySettings, work: Callable[[async_sessionmaker[AsyncSession]], Awaitable[T]]) -> T:
    async def go() -> T:
        engine = create_engine(settings.database_url, pool_size=settings.db_pool_size)
        try:
            return await work(session_factory(engine))
        finally:
            await engine.dispose()

    return asyncio.run(go())


def run_draw(args: argparse.Namespace) -> int:
    plan_id = uuid.UUID(args.plan)

    async def work(sessions: async_sessionmaker[AsyncSession]) -> Any:
        now = SystemClock().now()
        async with sessions() as session, session.begin():
            plan = await plans.get_plan(session, plan_id)
            if plan.status == "draft":
                plan = await plans.approve(session, plan_id=plan_id, actor=_actor(), now=now)
                print(f"approved: seed_sha256 {plan.seed_sha256}, {plan.candidate_count} candidates")
        async with sessions() as session, session.begin():
            return await plans.draw(session, plan_id=plan_id, actor=_actor(), now=now)

    plan = _run(_settings(args), work)
    print(f"seed {plan.seed} (sha256 {plan.seed_sha256}); quotas {plan.quotas}")
    for code in plan.chosen or []:
        print(code)
    return 0


def run_export(args: argparse.Namespace) -> int:
    plan_id = uuid.UUID(args.plan)

    async def work(sessions: async_sessionmaker[AsyncSession]) -> list[tuple[InspectionTask, str]]:
        async with sessions() as session:
            await plans.get_plan(session, plan_id)
            rows = await session.execute(
                select(InspectionTask, Enterprise.name)
                .join(Enterprise, Enterprise.uscc == InspectionTask.uscc)
                .where(InspectionTask.plan_id == plan_id)
                .order_by(InspectionTask.uscc)
            )
            return [(t, name) for t, name in rows]

    rows = _run(_settings(args), work)
    with contextlib.ExitStack() as stack:
        out = (
            stack.enter_context(args.output.open("w", newline="", encoding="utf-8"))
            if args.output
            else sys.stdout
        )
        writer = csv.writer(out)
        writer.writerow(EXPORT_COLUMNS)
        for task, name in rows:
            values = {c: getattr(task, c, None) for c in EXPORT_COLUMNS}
            values["task_id"], values["name"] = task.id, name
            writer.writerow(["" if values[c] is None else str(values[c]) for c in EXPORT_COLUMNS])
    return 0


def run_classify(args: argparse.Namespace) -> int:
    async def work(sessions: async_sessionmaker[AsyncSession]) -> int:
        async with sessions() as session:
            codes = list((await session.execute(select(Enterprise.uscc).order_by(Enterprise.uscc))).scalars())
        for start in range(0, len(codes), 500):
            async with sessions() as session, session.begin():
                for code in codes[start : start + 500]:
                    await classes.refresh(session, uscc=code, now=SystemClock().now())
        return len(codes)

    print(f"risk classes stored for {_run(_settings(args), work)} enterprises")
    return 0


def run_signals(args: argparse.Namespace) -> int:
    settings = _settings(args)
    result = _run(settings, lambda sessions: job.run_once(sessions, settings=settings, clock=SystemClock()))
    if not result.ran:
        print("another process holds the signal job's lease; nothing done")
        return 0
    print(
        f"{result.series} series checked, {result.raised} warnings raised"
        + ("" if result.complaints_available else " (complaints service unavailable: its signals skipped)")
    )
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("inspections", help="double-random spot-check plans")
    commands = p.add_subparsers(dest="inspections_command", required=True)
    draw = commands.add_parser(
        "draw", help="approve (if a draft) and draw a plan; prints the seed and the codes"
    )
    draw.add_argument("plan")
    draw.add_argument("--data-dir", type=Path)
    draw.set_defaults(run=run_draw)
    export = commands.add_parser("export", help="a plan's tasks and results as CSV")
    export.add_argument("plan")
    export.add_argument("--output", type=Path, help="file (default: stdout)")
    export.add_argument("--data-dir", type=Path)
    export.set_defaults(run=run_export)
    classify = commands.add_parser(
        "classify", help="store the risk class of every enterprise (after a migration)"
    )
    classify.add_argument("--data-dir", type=Path)
    classify.set_defaults(run=run_classify)

    p = sub.add_parser("warnings", help="early-warning signals")
    commands = p.add_subparsers(dest="warnings_command", required=True)
    run = commands.add_parser("run", help="run the signal job once (leased; safe from cron on every replica)")
    run.add_argument("--data-dir", type=Path)
    run.set_defaults(run=run_signals)
