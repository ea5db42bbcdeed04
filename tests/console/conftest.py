"""Console fixtures: the test identity provider on loopback, and the apps signing in against it."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from html import unescape

import httpx
import pytest
from fastapi import FastAPI

from services.common.clock import FrozenClock
from services.complaints.app import create_app as create_complaints_app
from services.complaints.database import load_models as complaints_models
from services.complaints.settings import ComplaintsSettings
from tests.oidc_provider import Provider, running_provider
from tests.support import code, running, wipe

TESTSERVER = "http://testserver"


@pytest.fixture(scope="session")
def provider() -> Iterator[Provider]:
    with running_provider() as p:
        p.redirect_uris.add(f"{TESTSERVER}/console/callback")
        p.add("zhang", role="handler", name="张处理")
        p.add("li", role="handler", name="李处理")
        p.add("wang", role="regulator", name="王监管")
        p.add("dairy", role="enterprise", uscc=code(701), name="乳业公司")
        p.add("nobody", name="无角色")
        yield p


def console_settings(settings: ComplaintsSettings, provider: Provider, **over: object) -> ComplaintsSettings:
    return settings.model_copy(
        update={
            "console_oidc_issuer": provider.issuer,
            "console_oidc_client_id": provider.client_id,
            "console_oidc_client_secret": __import__("pydantic").SecretStr(provider.client_secret),
            "console_cookie_secure": False,  # the in-process client speaks plain http
            **over,
        }
    )


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


def hidden_fields(page: str) -> dict[str, str]:
    return {
        m.group(1): unescape(m.group(2))
        for m in re.finditer(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page)
    }


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


def csrf_of(page: str) -> str:
    return hidden_fields(page)["csrf"]
