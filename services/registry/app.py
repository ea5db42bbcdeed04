"""The registry application."""

from __future__ import annotations

from fastapi import FastAPI

from services.common.app import build_app
from services.common.clock import Clock, SystemClock
from services.common.devkeys import ensure_dev_keys
from services.registry.credit.router import router as credit_router
from services.registry.credit.rules import load_rules
from services.registry.enterprises.router import router as enterprises_router
from services.registry.partners.router import router as partners_router
from services.registry.settings import RegistrySettings


def create_app(settings: RegistrySettings | None = None, *, clock: Clock | None = None) -> FastAPI:
    settings = settings or RegistrySettings()
    if not settings.is_production:
        ensure_dev_keys(settings.data_dir)
    return build_app(
        settings,
        title="Quality-credit registry",
        description="Enterprise quality-credit files: events, explainable grades, lists, standards.",
        routers=[enterprises_router, credit_router, partners_router],
        state={"rules": load_rules(settings.rules_file), "clock": clock or SystemClock()},
    )
