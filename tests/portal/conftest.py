"""Portal fixtures: the registry app with its complaint form wired to the in-process complaints app."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from services.registry.portal.complaints_client import complaints_client


@pytest.fixture
async def portal(
    registry: httpx.AsyncClient, registry_app: FastAPI, complaints: httpx.AsyncClient, complaints_app: FastAPI
) -> AsyncIterator[httpx.AsyncClient]:
    """The registry client; the portal's calls to the complaints service reach `complaints_app`."""

    async def to_complaints() -> AsyncIterator[httpx.AsyncClient]:
        transport = httpx.ASGITransport(app=complaints_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://complaints") as client:
            yield client

    registry_app.dependency_overrides[complaints_client] = to_complaints
    try:
        yield registry
    finally:
        registry_app.dependency_overrides.clear()
