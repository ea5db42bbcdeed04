"""Signing in to a console through the OpenID Connect flow, the session behind the cookie, CSRF,
expiry, revocation and sign-out (which ends the provider's session too)."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from services.common.clock import FrozenClock
from services.common.console.auth import COOKIE
from services.complaints.app import create_app as create_complaints_app
from services.complaints.database import load_models as complaints_models
from services.complaints.settings import ComplaintsSettings
from services.registry.app import create_app as create_registry_app
from services.registry.database import load_models as registry_models
from services.registry.settings import RegistrySettings
from tests.console_support import console_settings, csrf_of, sign_in
from tests.oidc_provider import Provider
from tests.support import running, wipe


async def test_a_handler_signs_in_through_the_provider_and_lands_on_the_queue(
    console: httpx.AsyncClient, provider: Provider
) -> None:
    refused = await console.get("/console/")
    assert refused.status_code == 303 and refused.headers["location"] == "/console/login?next=%2Fconsole%2F"
    start = await console.get("/console/login/start", params={"next": "/console/stats"})
    query = parse_qs(urlsplit(start.headers["location"]).query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert query["response_type"] == ["code"] and "openid" in query["scope"][0].split()
    assert query["nonce"][0] and query["state"][0]

    done = await sign_in(console, provider, "zhang", next="/console/stats")
    assert done.status_code == 303 and done.headers["location"] == "/console/stats"
    cookie = done.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/console" in cookie
    page = await console.get("/console/stats")
    assert page.status_code == 200
    assert "张处理" in page.text and "投诉举报统计" in page.text
    assert page.headers["cache-control"] == "no-store"
    assert "script-src" not in page.headers["content-security-policy"]


async def test_cookies_are_secure_unless_turned_off_for_plain_http(
    complaints_settings: ComplaintsSettings, provider: Provider, clock: FrozenClock
) -> None:
    app = create_complaints_app(
        console_settings(complaints_settings, provider, console_cookie_secure=True), clock=clock
    )
    async with running(app) as client:
        start = await client.get("/console/login/start")
        assert "Secure" in start.headers["set-cookie"] and "HttpOnly" in start.headers["set-cookie"]


async def test_a_person_whose_claims_grant_no_handler_role_is_not_signed_in(
    console: httpx.AsyncClient, provider: Provider
) -> None:
    for username in ("wang", "nobody", "dairy"):
        answer = await sign_in(console, provider, username)
        assert answer.status_code == 403, username
        assert "没有使用本工作台的权限" in answer.text
        assert COOKIE not in answer.headers.get("set-cookie", "")
        assert (await console.get("/console/")).status_code == 303


async def test_a_callback_with_a_wrong_state_or_a_forged_nonce_signs_nobody_in(
    console: httpx.AsyncClient, provider: Provider
) -> None:
    start = await console.get("/console/login/start")
    assert start.status_code == 303
    wrong = await console.get("/console/callback", params={"code": "x", "state": "not-the-state"})
    assert wrong.status_code == 400 and "登录未成功" in wrong.text
    provider.forge_nonce = True
    try:
        forged = await sign_in(console, provider, "zhang")
    finally:
        provider.forge_nonce = False
    assert forged.status_code == 400
    assert (await console.get("/console/")).status_code == 303


async def test_every_form_needs_the_session_csrf_token(
    console: httpx.AsyncClient, provider: Provider
) -> None:
    await sign_in(console, provider, "zhang")
    page = await console.get("/console/")
    token = csrf_of(page.text)
    missing = await console.post("/console/logout", data={})
    assert missing.status_code == 403 and "表单已失效" in missing.text
    wrong = await console.post(
        "/console/logout", data={"csrf": token[:-1] + ("y" if token[-1] == "x" else "x")}
    )
    assert wrong.status_code == 403
    assert (await console.get("/console/")).status_code == 200  # still signed in
    ok = await console.post("/console/logout", data={"csrf": token})
    assert ok.status_code == 303


async def test_a_session_expires_and_can_be_revoked(
    console: httpx.AsyncClient, complaints_app: FastAPI, provider: Provider, clock: FrozenClock
) -> None:
    await sign_in(console, provider, "zhang")
    assert (await console.get("/console/")).status_code == 200
    clock.advance(timedelta(seconds=complaints_app.state.settings.console_session_seconds + 1))
    expired = await console.get("/console/cases/00000000-0000-0000-0000-000000000000")
    assert expired.status_code == 303
    assert expired.headers["location"].startswith("/console/login?next=%2Fconsole%2Fcases%2F")

    await sign_in(console, provider, "zhang")
    assert (await console.get("/console/")).status_code == 200
    store = complaints_app.state.console.store
    async with complaints_app.state.sessions() as db, db.begin():
        assert await store.revoke_subject(db, "zhang", now=clock.now()) == 1
    assert (await console.get("/console/")).status_code == 303


async def test_signing_out_ends_the_session_here_and_at_the_provider(
    console: httpx.AsyncClient, provider: Provider
) -> None:
    await sign_in(console, provider, "li")
    token = csrf_of((await console.get("/console/")).text)
    old_cookie = console.cookies.get(COOKIE)
    out = await console.post("/console/logout", data={"csrf": token})
    target = urlsplit(out.headers["location"])
    assert f"{target.scheme}://{target.netloc}" == provider.issuer and target.path == "/logout"
    query = parse_qs(target.query)
    assert query["id_token_hint"][0] and query["post_logout_redirect_uri"] == [
        "http://testserver/console/signed-out"
    ]
    async with httpx.AsyncClient() as idp:
        back = await idp.get(out.headers["location"])
    assert back.status_code == 303 and back.headers["location"].endswith("/console/signed-out")
    assert provider.ended[-1]["id_token_hint"] == query["id_token_hint"][0]
    # The old cookie opens nothing any more, even if a copy of it was kept.
    console.cookies.set(COOKIE, old_cookie or "", path="/console")
    replay = await console.get("/console/")
    assert replay.status_code == 303


async def test_the_development_sign_in_exists_only_in_development(
    console: httpx.AsyncClient,
    complaints_settings: ComplaintsSettings,
    provider: Provider,
    clock: FrozenClock,
) -> None:
    assert (await console.get("/console/dev-login")).status_code == 404
    assert (await console.post("/console/dev-login", data={"role": "handler"})).status_code == 404
    dev = create_complaints_app(
        console_settings(complaints_settings, provider, environment="dev"), clock=clock
    )
    async with running(dev) as client:
        form = await client.get("/console/dev-login")
        assert form.status_code == 200
        without = await client.post("/console/dev-login", data={"role": "handler", "subject": "dev"})
        assert without.status_code == 403
        signed = await client.post(
            "/console/dev-login", data={"role": "handler", "subject": "dev", "csrf": csrf_of(form.text)}
        )
        assert signed.status_code == 303
        assert "dev" in (await client.get("/console/")).text


async def test_starting_sign_ins_is_rate_limited_per_address_so_pending_rows_stop_growing(
    complaints_settings: ComplaintsSettings,
    registry_settings: RegistrySettings,
    provider: Provider,
    clock: FrozenClock,
) -> None:
    apps = (
        (create_complaints_app, complaints_settings, complaints_models),
        (create_registry_app, registry_settings, registry_models),
    )
    for create, settings, models in apps:
        app = create(console_settings(settings, provider, console_login_rate=(3, 60)), clock=clock)
        table = app.state.console.store.table
        async with running(app) as client:
            try:
                for _ in range(3):
                    assert (await client.get("/console/login/start")).status_code == 303
                refused = await client.get("/console/login/start")
                assert refused.status_code == 429 and refused.headers["retry-after"].isdigit()
                assert (
                    refused.headers["content-type"].startswith("text/html") and "操作过于频繁" in refused.text
                )
                async with app.state.read_sessions() as db:
                    assert (await db.execute(select(func.count()).select_from(table))).scalar_one() == 3
                clock.advance(timedelta(seconds=61))
                assert (await client.get("/console/login/start")).status_code == 303
            finally:
                await wipe(app.state.engine, models())
