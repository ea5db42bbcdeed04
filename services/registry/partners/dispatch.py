"""The webhook dispatcher as a background task of the registry app."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from services.registry.background import background
from services.registry.partners.webhooks import WebhookDispatcher

logger = logging.getLogger("qcr.webhooks")


@asynccontextmanager
async def webhook_dispatch(app: FastAPI) -> AsyncIterator[None]:
    settings = app.state.settings
    dispatcher = WebhookDispatcher(
        sessions=app.state.sessions,
        clock=app.state.clock,
        timeout=settings.webhook_timeout_seconds,
        backoff_base=settings.webhook_backoff_base_seconds,
        backoff_max=settings.webhook_backoff_max_seconds,
        private_targets=settings.webhook_private_targets,
    )
    app.state.webhooks = dispatcher

    async def loop() -> None:
        while True:
            try:
                delivered = await dispatcher.run_once()
            except Exception:
                logger.exception("webhook dispatcher pass failed")
                delivered = 0
            if not delivered:
                await asyncio.sleep(settings.webhook_interval_seconds)

    async with background(loop(), name="webhook-dispatcher"):
        yield
