"""The complaints application."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from services.common.app import build_app
from services.common.calendar_watch import calendar_watch
from services.common.clock import Clock, SystemClock
from services.common.devkeys import ensure_dev_keys
from services.common.ratelimit import RateLimiter
from services.complaints.caching import NoStoreMiddleware
from services.complaints.cases.clock import recompute_open
from services.complaints.cases.router import handlers, public
from services.complaints.confidential import Vault, dev_key
from services.complaints.console import wiring as console
from services.complaints.notifications.dispatcher import NotificationDispatcher, build_sender
from services.complaints.notifications.router import router as notifications_router
from services.complaints.outbox.dispatcher import Dispatcher, OutboxMetrics
from services.complaints.policy import load_policy
from services.complaints.rewards.router import handlers as rewards_handlers
from services.complaints.rewards.router import public as rewards_public
from services.complaints.settings import ComplaintsSettings
from services.complaints.stats.aggregates import router as aggregates_router
from services.complaints.stats.router import router as stats_router


def create_app(settings: ComplaintsSettings | None = None, *, clock: Clock | None = None) -> FastAPI:
    settings = settings or ComplaintsSettings()
    if not settings.is_production:
        ensure_dev_keys(settings.data_dir)
    keys = [k.get_secret_value() for k in settings.reporter_keys] or [dev_key(settings.data_dir)]
    clock = clock or SystemClock()
    policy = load_policy()

    vault = Vault(keys)

    @asynccontextmanager
    async def dispatcher(app: FastAPI) -> AsyncIterator[None]:
        if not settings.dispatch_enabled:
            yield
            return
        app.state.dispatcher = Dispatcher(
            sessions=app.state.sessions, settings=settings, clock=clock, metrics=app.state.outbox_metrics
        )
        app.state.notifier = NotificationDispatcher(
            sessions=app.state.sessions,
            settings=settings,
            clock=clock,
            vault=vault,
            sender=build_sender(settings),
        )
        tasks = [
            asyncio.create_task(app.state.dispatcher.run_forever(), name="outbox-dispatcher"),
            asyncio.create_task(app.state.notifier.run_forever(), name="notification-dispatcher"),
        ]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    @asynccontextmanager
    async def background(app: FastAPI) -> AsyncIterator[None]:
        async with (
            calendar_watch(
                app,
                recompute=lambda session, calendar: recompute_open(session, policy=policy, calendar=calendar),
                interval=settings.calendar_check_seconds,
            ),
            dispatcher(app),
        ):
            yield

    app = build_app(
        settings,
        title="Quality complaints",
        description="Hotline complaints and reports, their workflow, and the feed to the registry.",
        routers=[
            public,
            handlers,
            stats_router,
            rewards_public,
            rewards_handlers,
            notifications_router,
            aggregates_router,
            *console.ROUTERS,
        ],
        startup=background,
        state={
            "clock": clock,
            "policy": policy,
            "longest_deadline_days": policy.longest_period_days,
            "vault": vault,
            "rate_limiter": RateLimiter(),
            "rate_limits": {
                "intake": settings.intake_rate,
                "tracking": settings.tracking_rate,
                "claim": settings.claim_rate,
                "console_login": settings.console_login_rate,
            },
        },
    )
    app.state.outbox_metrics = OutboxMetrics(app.state.metrics.registry)
    console.install(app, settings)
    app.add_middleware(NoStoreMiddleware)
    return app
