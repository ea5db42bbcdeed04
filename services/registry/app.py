"""The registry application."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from services.common.app import Startup, build_app
from services.common.clock import Clock, SystemClock
from services.common.devkeys import ensure_dev_keys
from services.common.ratelimit import RateLimiter
from services.registry.credit.router import router as credit_router
from services.registry.credit.rules import load_rules
from services.registry.enterprises.router import router as enterprises_router
from services.registry.ledger.router import router as ledger_router
from services.registry.lists.router import router as lists_router
from services.registry.lists.rules import load_list_rules
from services.registry.lists.sweeper import periodic_sweep
from services.registry.partners.dispatch import webhook_dispatch
from services.registry.partners.router import router as partners_router
from services.registry.portal.products import router as portal_products_router
from services.registry.portal.router import router as portal_router
from services.registry.products.router import router as products_router
from services.registry.settings import RegistrySettings
from services.registry.standards.reference import load_reference
from services.registry.standards.router import router as standards_router


def background_tasks(settings: RegistrySettings) -> Startup:
    """What runs beside the API: the webhook dispatcher, and the list sweep where configured."""

    @asynccontextmanager
    async def run(app: FastAPI) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            if settings.lists_sweep_interval_seconds > 0:
                await stack.enter_async_context(periodic_sweep(app))
            if settings.webhooks_enabled:
                await stack.enter_async_context(webhook_dispatch(app))
            yield

    return run


def create_app(settings: RegistrySettings | None = None, *, clock: Clock | None = None) -> FastAPI:
    settings = settings or RegistrySettings()
    if not settings.is_production:
        ensure_dev_keys(settings.data_dir)
    rules = load_rules(settings.rules_file)
    list_rules = load_list_rules()
    list_rules.check_against(rules)
    return build_app(
        settings,
        title="Quality-credit registry",
        description="Enterprise quality-credit files: events, explainable grades, lists, standards.",
        routers=[
            enterprises_router,
            credit_router,
            lists_router,
            partners_router,
            ledger_router,
            standards_router,
            products_router,
            portal_router,
            portal_products_router,
        ],
        startup=background_tasks(settings),
        state={
            "rules": rules,
            "list_rules": list_rules,
            "standards_reference": load_reference(settings.standards_reference_file),
            "clock": clock or SystemClock(),
            "rate_limiter": RateLimiter(),
            "rate_limits": {"search": settings.search_rate, "public_list": settings.public_list_rate},
        },
    )
