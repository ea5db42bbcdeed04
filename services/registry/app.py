"""The registry application."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from services.common.app import Startup, build_app
from services.common.clock import Clock, SystemClock
from services.common.devkeys import ensure_dev_keys, ensure_key
from services.common.ratelimit import RateLimiter
from services.registry.answers.credit_reads import router as credit_reads_router
from services.registry.answers.router import router as answers_router
from services.registry.credit.router import router as credit_router
from services.registry.credit.rules import RuleSet, load_rules
from services.registry.enterprises.router import router as enterprises_router
from services.registry.events import unit_of_work
from services.registry.ledger.checkpoints import LEDGER_KEY_NAME, load_key
from services.registry.ledger.router import router as ledger_router
from services.registry.lists.router import router as lists_router
from services.registry.lists.rules import load_list_rules
from services.registry.lists.sweeper import periodic_sweep
from services.registry.partners.dispatch import webhook_dispatch
from services.registry.partners.router import router as partners_router
from services.registry.portal.products import router as portal_products_router
from services.registry.portal.router import router as portal_router
from services.registry.portal.supervision_pages import router as supervision_pages
from services.registry.products.router import router as products_router
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


def configured_openapi(rules: RuleSet, reference: Reference) -> Callable[[dict[str, Any]], None]:
    """What the loaded files allow, as enums: the rules file's event kinds, and the categories of the
    mandatory-values table a declaration may name (its names and aliases; spacing and case are read
    loosely, as `reference.key` compares)."""

    def refine(schema: dict[str, Any]) -> None:
        models = schema["components"]["schemas"]
        models["CreditEventCreate"]["properties"]["kind"]["enum"] = sorted(rules.kinds)
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
    assert settings.ledger_key_file is not None
    rules = load_rules(settings.rules_file)
    list_rules = load_list_rules()
    list_rules.check_against(rules)
    reference = load_reference(settings.standards_reference_file)
    return build_app(
        settings,
        title="Quality-credit registry",
        description="Enterprise quality-credit files: events, explainable grades, lists, standards.",
        routers=[
            enterprises_router,
            credit_router,
            answers_router,
            credit_reads_router,
            lists_router,
            partners_router,
            ledger_router,
            standards_router,
            products_router,
            supervision_router,
            inspection_tasks_router,
            warnings_router,
            supervision_pages,
            portal_router,
            portal_products_router,
        ],
        startup=background_tasks(settings),
        refine_openapi=configured_openapi(rules, reference),
        state={
            "rules": rules,
            "bus": build_bus(rules),
            "ledger_key": load_key(settings.ledger_key_file) if settings.ledger_key_file.exists() else None,
            "list_rules": list_rules,
            "standards_reference": reference,
            "clock": clock or SystemClock(),
            "rate_limiter": RateLimiter(),
            "rate_limits": {"search": settings.search_rate, "public_list": settings.public_list_rate},
        },
    )
