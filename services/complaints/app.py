"""The complaints application."""

from __future__ import annotations

from fastapi import FastAPI

from services.common.app import build_app
from services.common.clock import Clock, SystemClock
from services.common.devkeys import ensure_dev_keys
from services.complaints.settings import ComplaintsSettings


def create_app(settings: ComplaintsSettings | None = None, *, clock: Clock | None = None) -> FastAPI:
    settings = settings or ComplaintsSettings()
    if not settings.is_production:
        ensure_dev_keys(settings.data_dir)
    return build_app(
        settings,
        title="Quality complaints",
        description="Hotline complaints and reports, their workflow, and the feed to the registry.",
        routers=[],
        state={"clock": clock or SystemClock()},
    )
