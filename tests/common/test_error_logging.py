"""The unexpected-error handler: a 500 problem, logged by route template, never the raw path."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from fastapi import APIRouter

from services.common.app import build_app
from services.common.settings import ServiceSettings


async def test_an_unexpected_error_logs_the_route_template_not_the_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    router = APIRouter()

    @router.get("/v1/complaints/track/{tracking_code}")
    async def track(tracking_code: str) -> dict[str, str]:
        raise RuntimeError("boom")

    settings = ServiceSettings(environment="test", data_dir=tmp_path, service_name="probe")
    app = build_app(settings, title="probe", description="probe", routers=[router])
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
    ):
        answer = await client.get("/v1/complaints/track/SECRETCODE42")
    assert answer.status_code == 500
    assert answer.headers["content-type"] == "application/problem+json"
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    errors = [line for line in lines if line["logger"] == "qcr.errors"]
    assert errors and all(e["route"] == "/v1/complaints/track/{tracking_code}" for e in errors)
    assert lines and not [line for line in lines if "SECRETCODE42" in json.dumps(line)]
