"""Signing in to the consoles in tests: settings pointing at the test provider, the flow as a
browser follows it, and sessions made directly (for the access matrix)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from html import unescape
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from pydantic import SecretStr

from services.common.console.sessions import SessionRecord
from services.common.db import create_engine
from services.common.roles import Role
from tests.oidc_provider import Provider
from tests.processes import free_port, qcr_process, wait_ready
from tests.support import code, wipe

TESTSERVER = "http://testserver"


def console_settings(settings: Any, provider: Provider, **over: object) -> Any:
    return settings.model_copy(
        update={
            "console_oidc_issuer": provider.issuer,
            "console_oidc_client_id": provider.client_id,
            "console_oidc_client_secret": SecretStr(provider.client_secret),
            "console_cookie_secure": False,  # the in-process client speaks plain http
            **over,
        }
    )


def hidden_fields(page: str) -> dict[str, str]:
    return {
        m.group(1): unescape(m.group(2))
        for m in re.finditer(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page)
    }


def csrf_of(page: str) -> str:
    return hidden_fields(page)["csrf"]


async def sign_in(
    client: httpx.AsyncClient, provider: Provider, username: str, next: str = "/console/"
) -> httpx.Response:
    """The whole authorization-code flow, as a browser would follow it; the callback's answer."""
    start = await client.get("/console/login/start", params={"next": next})
    assert start.status_code == 303, start.text
    async with httpx.AsyncClient() as idp:
        form = await idp.get(start.headers["location"])
        assert form.status_code == 200, form.text
        approved = await idp.post(
            provider.issuer + "/authorize",
            data={**hidden_fields(form.text), "username": username, "password": "secret"},
        )
    assert approved.status_code == 303, approved.text
    callback = approved.headers["location"]
    assert callback.startswith(TESTSERVER + "/console/callback?")
    return await client.get(callback.removeprefix(TESTSERVER))


async def console_session(app: FastAPI, role: str, owner: str | None) -> tuple[str, SessionRecord] | None:
    """A live session for an access-matrix caller, made directly in the store (whatever the role:
    the pages must refuse a role even if a session for it existed). None for `none`."""
    if role == "none":
        return None
    enterprises = {"own": owner or code(900), "other": code(901)}
    as_role = Role.enterprise if role in enterprises else Role(role)
    uscc = enterprises.get(role)
    store, now = app.state.console.store, app.state.clock.now()
    async with app.state.sessions() as db, db.begin():
        _, pending = await store.start_pending(db, now=now, next_path="/console/")
        return await store.activate(
            db,
            pending,
            now=now,
            lifetime_seconds=3600,
            role=str(as_role),
            subject=f"matrix-{role}",
            issuer="matrix",
            uscc=uscc,
            display_name=None,
            id_token=None,
        )


@contextmanager
def live_console(
    service: str,
    *,
    database_url: str,
    models: Callable[[], Any],
    provider: Provider,
    keys_dir: Path,
    log: Path,
    env: dict[str, str] | None = None,
) -> Iterator[str]:
    """A real `qcr serve SERVICE` signing its consoles in at the test provider; wiped afterwards."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    provider.redirect_uris.add(url + "/console/callback")
    prefix = service.upper()
    settings = {
        f"{prefix}_ENVIRONMENT": "test",
        f"{prefix}_DATABASE_URL": database_url,
        f"{prefix}_DATA_DIR": str(keys_dir),
        f"{prefix}_CONSOLE_OIDC_ISSUER": provider.issuer,
        f"{prefix}_CONSOLE_OIDC_CLIENT_ID": provider.client_id,
        f"{prefix}_CONSOLE_OIDC_CLIENT_SECRET": provider.client_secret,
        f"{prefix}_CONSOLE_COOKIE_SECURE": "false",
        **(env or {}),
    }
    args = ("serve", service, "--port", str(port), "--data-dir", str(keys_dir))
    with qcr_process(*args, env=settings, log=log) as process:
        wait_ready(url, process)
        yield url

    async def clean() -> None:
        engine = create_engine(database_url)
        await wipe(engine, models())
        await engine.dispose()

    asyncio.run(clean())
