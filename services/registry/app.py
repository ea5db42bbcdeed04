"""The registry application."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from services.common.app import Startup, build_app
from services.common.calendar_watch import calendar_watch
from services.common.clock import Clock, SystemClock
from services.common.devkeys import ensure_dev_keys, ensure_key
from services.common.ratelimit import RateLimiter
from services.registry.answers import hot
from services.registry.answers.credit_reads import router as credit_reads_router
from services.registry.answers.reads import Horizon, open_reads
from services.registry.answers.router import batch_router
from services.registry.answers.router import router as answers_router
from services.registry.console import wiring as console
from services.registry.credit.router import router as credit_router
from services.registry.credit.rulebook import RuleBook, load_rule_book
from services.registry.enterprises.router import router as enterprises_router
from services.registry.events import unit_of_work
from services.registry.ledger.checkpoints import LEDGER_KEY_NAME, load_key
from services.registry.ledger.router import router as ledger_router
from services.registry.lists import deadlines
from services.registry.lists.router import router as lists_router
from services.registry.lists.rules import load_list_rules
from services.registry.lists.sweeper import periodic_sweep
from services.registry.partners.dispatch import webhook_dispatch
from services.registry.partners.router import router as partners_router
from services.registry.portal.products import router as portal_products_router
from services.registry.portal.report_pages import router as portal_reports_router
from services.registry.portal.router import router as portal_router
from services.registry.portal.supervision_pages import router as supervision_pages
from services.registry.products.router import router as products_router
from services.registry.reports import record as report_record
from services.registry.reports.measures_router import router as measures_router
from services.registry.reports.router import router as reports_router
from services.registry.reports.signing import REPORTS_KEY_NAME, load_keys
from services.registry.settings import RegistrySettings
from services.registry.standards.reference import Reference, load_reference
from services.registry.standards.router import router as standards_router
from services.registry.subscribers import build_bus
from services.registry.supervision.router import router as supervision_router
from services.registry.supervision.tasks_router import router as inspection_tasks_router
from services.registry.sweep.runner import periodic_sweep as periodic_time_sweep
from services.registry.warnings.job import periodic_signals
from services.registry.warnings.router import router as warnings_router


def background_tasks(settings: RegistrySettings) -> Startup:
    """Units of work for writes; beside the API, the leased sweep, the webhook dispatcher and signals."""

    @asynccontextmanager
    async def run(app: FastAPI) -> AsyncIterator[None]:
        # Every write session is a unit of work: its commit runs the subscribers first.
        app.state.sessions = unit_of_work.session_factory(app.state.engine, app.state.bus)
        async with contextlib.AsyncExitStack() as stack:
            # The hot read path: its own fixed pool on PostgreSQL, the app's engine on SQLite.
            app.state.reads = await open_reads(
                settings.database_url, engine=app.state.engine, pool_size=settings.reads_pool_size
            )
            stack.push_async_callback(app.state.reads.close)
            app.state.horizon = Horizon(app.state.reads.feed_position, ttl=settings.feed_horizon_seconds)
            # A newer working-day calendar moves the running list and repair deadlines (each replica
            # checks its own file; rows already recomputed are skipped).
            await stack.enter_async_context(
                calendar_watch(
                    app,
                    recompute=lambda session, calendar: deadlines.recompute_open(
                        session, list_rules=app.state.list_rules, calendar=calendar, now=app.state.clock.now()
                    ),
                    interval=settings.calendar_check_seconds,
                )
            )
            if settings.sweep_interval_seconds > 0:
                await stack.enter_async_context(periodic_time_sweep(app))
            if settings.lists_sweep_interval_seconds > 0:
                await stack.enter_async_context(periodic_sweep(app))
            if settings.webhooks_enabled:
                await stack.enter_async_context(webhook_dispatch(app))
            if settings.signals_interval_seconds > 0:
                await stack.enter_async_context(periodic_signals(app))
            yield

    return run


def configured_openapi(book: RuleBook, reference: Reference) -> Callable[[dict[str, Any]], None]:
    """What the loaded files allow, as enums: the event kinds every rules version knows (so a kind
    the schema names is taken whichever version is in force), and the categories of the
    mandatory-values table a declaration may name (its names and aliases; spacing and case are read
    loosely, as `reference.key` compares)."""

    def refine(schema: dict[str, Any]) -> None:
        models = schema["components"]["schemas"]
        kinds = set.intersection(*(set(rules.kinds) for rules in book.all))
        models["CreditEventCreate"]["properties"]["kind"]["enum"] = sorted(kinds)
        names = sorted({n for c in reference.categories for n in (c.name, *c.aliases)})
        for model in ("StandardCreate", "StandardRevision"):
            category = models[model]["properties"]["category"]
            category["anyOf"] = [{"type": "string", "enum": names}, {"type": "null"}]

    return refine


def create_app(settings: RegistrySettings | None = None, *, clock: Clock | None = None) -> FastAPI:
    settings = settings or RegistrySettings()
    if not settings.is_production:
        ensure_dev_keys(settings.data_dir)
        ensure_key(settings.data_dir, LEDGER_KEY_NAME)
        ensure_key(settings.data_dir, REPORTS_KEY_NAME)
    assert settings.ledger_key_file is not None
    assert settings.reports_key_file is not None and settings.reports_jwks_file is not None
    book = load_rule_book(settings.rules_file)
    list_rules = load_list_rules()
    for rules in book.all:
        list_rules.check_against(rules)
    reference = load_reference(settings.standards_reference_file)
    app = build_app(
        settings,
        title="Quality-credit registry",
        description="Enterprise quality-credit files: events, explainable grades, lists, standards.",
        routers=[
            enterprises_router,
            credit_router,
            answers_router,
            credit_reads_router,
            batch_router,
            lists_router,
            partners_router,
            ledger_router,
            standards_router,
            products_router,
            supervision_router,
            inspection_tasks_router,
            warnings_router,
            reports_router,
            measures_router,
            supervision_pages,
            portal_router,
            portal_products_router,
            portal_reports_router,
            *console.ROUTERS,
        ],
        startup=background_tasks(settings),
        refine_openapi=configured_openapi(book, reference),
        state={
            "rule_book": book,  # the version in force at a moment: book.in_force(at)
            "bus": build_bus(book),
            "ledger_key": load_key(settings.ledger_key_file) if settings.ledger_key_file.exists() else None,
            "list_rules": list_rules,
            "longest_deadline_days": list_rules.longest_period_days,
            "open_deadlines": lambda session, now: deadlines.latest_open_deadline(session, now=now),
            "report_keys": load_keys(settings.reports_key_file, settings.reports_jwks_file),
            # The partner batch's `use` option: measures read features above the batch, wired here.
            "measures_provider": report_record.measures_for_codes,
            "standards_reference": reference,
            "clock": clock or SystemClock(),
            "rate_limiter": RateLimiter(),
            "rate_limits": {
                "search": settings.search_rate,
                "public_list": settings.public_list_rate,
                "console_login": settings.console_login_rate,
            },
        },
    )
    console.install(app, settings)
    hot.install(app)
    return app
