"""Fixtures: every database test runs on SQLite and on the real PostgreSQL (never skipped).

With QCR_TEST_CITUS_DSN set (a Citus coordinator whose workers are registered), the registry's
database tests (tests/registry) also run with the registry database on a fresh database of that
cluster, distributed by the migrations (`citus` backend); the complaints database stays on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from services.common.clock import FrozenClock
from services.common.devkeys import ensure_dev_keys
from services.complaints.app import create_app as create_complaints_app
from services.complaints.database import load_models as complaints_models
from services.complaints.settings import ComplaintsSettings
from services.registry.app import create_app as create_registry_app
from services.registry.database import load_models as registry_models
from services.registry.settings import RegistrySettings
from tests.oidc_provider import Provider, running_provider
from tests.support import (
    CITUS_DSN,
    Backend,
    Tokens,
    code,
    drop_database,
    fresh_database_url,
    migrated,
    running,
    wipe,
)

NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def keys_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("qcr-data")
    ensure_dev_keys(data_dir)
    return data_dir


@pytest.fixture(scope="session")
def tokens(keys_dir: Path) -> Tokens:
    return Tokens(keys_dir)


BACKENDS = ["sqlite", "postgresql", *(["citus"] if CITUS_DSN else [])]
CITUS_TESTED = ("tests/registry/",)  # the registry's database tests; nothing else is distributed


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line, also under -q: whether the registry's tests ran on a Citus cluster."""
    if CITUS_DSN:
        terminalreporter.write_line(
            f"citus: the registry's database tests also ran on the cluster at {CITUS_DSN}"
        )
    else:
        terminalreporter.write_line(
            "citus: not tested (set QCR_TEST_CITUS_DSN to a coordinator with workers registered)"
        )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The citus backend runs only the registry's tests."""
    kept, dropped = [], []
    for item in items:
        on_citus = "citus" in getattr(getattr(item, "callspec", None), "params", {}).get("backend", "")
        where = item.nodeid.replace("\\", "/")
        (dropped if on_citus and not where.startswith(CITUS_TESTED) else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    tmp = tmp_path_factory.mktemp(f"db-{request.param}")
    registry_url, registry_db = fresh_database_url(request.param, tmp, "registry")
    complaints_backend = "postgresql" if request.param == "citus" else request.param
    complaints_url, complaints_db = fresh_database_url(complaints_backend, tmp, "complaints")
    try:
        yield Backend(
            request.param,
            migrated("registry", registry_url),
            migrated("complaints", complaints_url),
        )
    finally:
        if registry_db:
            drop_database(request.param, registry_db)
        if complaints_db:
            drop_database(complaints_backend, complaints_db)


@pytest.fixture(scope="session")
def provider() -> Iterator[Provider]:
    """The test OpenID Connect provider on loopback, with the people the console tests sign in as."""
    with running_provider() as p:
        p.redirect_uris.add("http://testserver/console/callback")
        p.add("zhang", role="handler", name="张处理")
        p.add("li", role="handler", name="李处理")
        p.add("wang", role="regulator", name="王监管")
        p.add("dairy", role="enterprise", uscc=code(701), name="乳业公司")
        p.add("nobody", name="无角色")
        yield p


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
def registry_settings(backend: Backend, keys_dir: Path) -> RegistrySettings:
    # Webhook deliveries are driven by the tests that need them (dispatcher.run_once), not a timer.
    return RegistrySettings(
        environment="test",
        data_dir=keys_dir,
        database_url=backend.registry_url,
        db_pool_size=5,
        webhooks_enabled=False,
        sweep_interval_seconds=0,  # tests run the sweep when they need it (sweep.runner.tick)
        calendar_check_seconds=0,  # and the calendar watch (app.state.calendar_watch.run_once)
        webhook_private_targets=True,  # the explicit opt-out: test receivers listen on 127.0.0.1
        search_rate=(1000, 60),
        public_list_rate=(1000, 60),
        console_login_rate=(1000, 60),
    )


@pytest.fixture
def registry_app(registry_settings: RegistrySettings, clock: FrozenClock) -> FastAPI:
    return create_registry_app(registry_settings, clock=clock)


@pytest.fixture
async def registry(registry_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with running(registry_app) as client:
        try:
            yield client
        finally:
            await wipe(registry_app.state.engine, registry_models())


@pytest.fixture
def complaints_settings(backend: Backend, keys_dir: Path) -> ComplaintsSettings:
    return ComplaintsSettings(
        environment="test",
        data_dir=keys_dir,
        database_url=backend.complaints_url,
        db_pool_size=5,
        dispatch_enabled=False,
        intake_rate=(1000, 60),
        console_login_rate=(1000, 60),
        tracking_rate=(1000, 60),
    )


@pytest.fixture
def complaints_app(complaints_settings: ComplaintsSettings, clock: FrozenClock) -> FastAPI:
    return create_complaints_app(complaints_settings, clock=clock)


@pytest.fixture
async def complaints(complaints_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with running(complaints_app) as client:
        try:
            yield client
        finally:
            await wipe(complaints_app.state.engine, complaints_models())
