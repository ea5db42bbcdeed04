"""A small, real OpenID Connect provider for tests, on loopback.

Authorization code flow only, with PKCE (S256 required), client_secret_basic at the token
endpoint, RS256 ID tokens (joserfc), discovery, JWKS and an end_session_endpoint. Its sign-in page
is a plain HTML form listing the test people: a browser picks one and presses the button, a test
without a browser posts the same form. It records every session it ended.
"""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import uvicorn
from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from joserfc import jwt
from joserfc.jwk import RSAKey

from tests.processes import free_port

HEAD = "<!doctype html><html lang=en><link rel=icon href='data:,'>"


@dataclass
class Person:
    username: str
    claims: dict[str, Any]


@dataclass
class Provider:
    issuer: str
    client_id: str
    client_secret: str
    people: dict[str, Person]
    redirect_uris: set[str] = field(default_factory=set)
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "test-1"}))
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    ended: list[dict[str, str]] = field(default_factory=list)
    signed_in: list[str] = field(default_factory=list)
    # A test sets this to make the next ID token carry a wrong nonce (a replayed or forged answer).
    forge_nonce: bool = False

    def add(self, username: str, **claims: Any) -> None:
        self.people[username] = Person(username, claims)

    def id_token(self, person: Person, nonce: str) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": person.username,
            "aud": self.client_id,
            "iat": now,
            "exp": now + 300,
            "nonce": "forged" if self.forge_nonce else nonce,
            **person.claims,
        }
        return jwt.encode({"alg": "RS256", "kid": self.key.kid}, claims, self.key)


def _challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def provider_app(p: Provider) -> FastAPI:
    app = FastAPI()

    @app.get("/.well-known/openid-configuration")
    async def discovery() -> dict[str, Any]:
        return {
            "issuer": p.issuer,
            "authorization_endpoint": p.issuer + "/authorize",
            "token_endpoint": p.issuer + "/token",
            "jwks_uri": p.issuer + "/jwks",
            "end_session_endpoint": p.issuer + "/logout",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        }

    @app.get("/jwks")
    async def jwks() -> dict[str, Any]:
        return {"keys": [{**p.key.as_dict(private=False), "alg": "RS256", "use": "sig"}]}

    def _refuse(text: str, status: int = 400) -> HTMLResponse:
        return HTMLResponse(
            f"{HEAD}<title>refused</title><p id=refused>{html.escape(text)}</p>",
            status,
        )

    @app.get("/authorize")
    async def authorize(request: Request) -> Response:
        q = request.query_params
        if q.get("client_id") != p.client_id or q.get("redirect_uri") not in p.redirect_uris:
            return _refuse("unknown client or redirect_uri")
        if q.get("response_type") != "code" or q.get("code_challenge_method") != "S256":
            return _refuse("authorization code with PKCE S256 only")
        if "openid" not in q.get("scope", "").split() or not q.get("code_challenge") or not q.get("state"):
            return _refuse("scope openid, a code challenge and a state are required")
        hidden = "".join(
            f'<input type="hidden" name="{k}" value="{html.escape(q[k])}">'
            for k in ("redirect_uri", "state", "nonce", "code_challenge")
            if k in q
        )
        people = "".join(
            f'<label><input type="radio" name="username" value="{html.escape(u)}"> {html.escape(u)}</label>'
            for u in p.people
        )
        return HTMLResponse(
            f"{HEAD}<title>Test identity provider</title>"
            f'<h1>Test identity provider</h1><form method="post" action="/authorize">{hidden}'
            f"<fieldset><legend>Person</legend>{people}</fieldset>"
            '<label>Password <input type="password" name="password"></label>'
            '<button type="submit">Sign in at the provider</button></form>'
        )

    @app.post("/authorize")
    async def approve(
        redirect_uri: str = Form(),
        state: str = Form(),
        code_challenge: str = Form(),
        username: str = Form(),
        nonce: str = Form(""),
        password: str = Form(""),
    ) -> Response:
        person = p.people.get(username)
        if person is None or redirect_uri not in p.redirect_uris or password != "secret":
            return _refuse("wrong person or password", 401)
        code = secrets.token_urlsafe(24)
        p.codes[code] = {
            "person": person,
            "redirect_uri": redirect_uri,
            "challenge": code_challenge,
            "nonce": nonce,
            "at": time.monotonic(),
        }
        p.signed_in.append(username)
        return RedirectResponse(
            f"{redirect_uri}?{urlencode({'code': code, 'state': state})}", status_code=303
        )

    @app.post("/token")
    async def token(request: Request) -> Response:
        form = await request.form()
        auth = request.headers.get("authorization", "")
        expected = "Basic " + base64.b64encode(f"{p.client_id}:{p.client_secret}".encode()).decode()
        if not secrets.compare_digest(auth, expected):
            return JSONResponse({"error": "invalid_client"}, 401)
        grant = p.codes.pop(str(form.get("code", "")), None)  # a code is good once
        if (
            form.get("grant_type") != "authorization_code"
            or grant is None
            or time.monotonic() - grant["at"] > 60
            or form.get("redirect_uri") != grant["redirect_uri"]
            or _challenge(str(form.get("code_verifier", ""))) != grant["challenge"]
        ):
            return JSONResponse({"error": "invalid_grant"}, 400)
        return JSONResponse(
            {
                "access_token": secrets.token_urlsafe(16),
                "token_type": "Bearer",
                "expires_in": 300,
                "id_token": p.id_token(grant["person"], grant["nonce"]),
            },
            headers={"Cache-Control": "no-store"},
        )

    @app.get("/logout")
    async def logout(request: Request) -> Response:
        q = dict(request.query_params)
        p.ended.append(q)
        target = q.get("post_logout_redirect_uri")
        if target and target.replace("/console/signed-out", "/console/callback") in p.redirect_uris:
            return RedirectResponse(target, status_code=303)
        return HTMLResponse(f"{HEAD}<title>signed out</title><p>Signed out at the provider.</p>")

    return app


@contextmanager
def running_provider(
    client_id: str = "qcr-console", client_secret: str = "console-secret"
) -> Iterator[Provider]:
    """The provider on a free loopback port for the length of the block."""
    port = free_port()
    provider = Provider(f"http://127.0.0.1:{port}", client_id, client_secret, people={})
    server = uvicorn.Server(
        uvicorn.Config(
            provider_app(provider), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise TimeoutError("test identity provider did not start")
        time.sleep(0.02)
    try:
        yield provider
    finally:
        server.should_exit = True
        thread.join(timeout=10)
