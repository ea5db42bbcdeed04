"""Console fixtures: the complaints app signing in against the test identity provider."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from services.common.clock import FrozenClock
from services.complaints.app import create_app as create_complaints_app
from services.complaints.database import load_models as complaints_models
from services.complaints.settings import ComplaintsSettings
from services.registry.app import create_app as create_registry_app
from services.registry.database import load_models as registry_models
from services.registry.settings import RegistrySettings
from tests.console_support import console_settings, live_console
from tests.oidc_provider import Provider
from tests.portal.test_browser import chromium
from tests.support import Backend, running, wipe


@pytest.fixture
def complaints_app(
    complaints_settings: ComplaintsSettings, provider: Provider, clock: FrozenClock
) -> FastAPI:
    return create_complaints_app(console_settings(complaints_settings, provider), clock=clock)


@pytest.fixture
async def console(complaints_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A browser-like client of the complaints app (cookies kept, redirects not followed)."""
    async with running(complaints_app) as client:
        try:
            yield client
        finally:
            await wipe(complaints_app.state.engine, complaints_models())


@pytest.fixture
def registry_app(registry_settings: RegistrySettings, provider: Provider, clock: FrozenClock) -> FastAPI:
    return create_registry_app(console_settings(registry_settings, provider), clock=clock)


@pytest.fixture
async def registry_console(registry_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A browser-like client of the registry app."""
    async with running(registry_app) as client:
        try:
            yield client
        finally:
            await wipe(registry_app.state.engine, registry_models())


@pytest.fixture
def live_registry(tmp_path: Path, backend: Backend, keys_dir: Path, provider: Provider) -> Iterator[str]:
    """The registry served by `qcr` on loopback, signing in at the test provider (browser tests)."""
    chromium()
    with live_console(
        "registry",
        database_url=backend.registry_url,
        models=registry_models,
        provider=provider,
        keys_dir=keys_dir,
        log=tmp_path / "registry.log",
    ) as url:
        yield url
