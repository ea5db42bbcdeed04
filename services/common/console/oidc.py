"""OpenID Connect sign-in: authorization code with PKCE (S256), through Authlib; ID tokens checked
with joserfc (Authlib's JOSE library) against the provider's published keys.

The provider is found by discovery (`/.well-known/openid-configuration` under the issuer); its
metadata and keys are cached and reloaded when a token names a key not yet seen (rotation).
"""

from __future__ import annotations

import asyncio
import time
import warnings
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import authlib.deprecate  # noqa: F401  (it installs an "always" filter on import: import it first)
import httpx
from authlib.common.security import generate_token

with warnings.catch_warnings():
    # Authlib 1.9 warns, on import, that it will move to the httpx2 package; httpx is what we use.
    warnings.simplefilter("ignore")
    from authlib.integrations.httpx_client import AsyncOAuth2Client
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

ALGORITHMS = ["RS256", "ES256", "EdDSA"]
METADATA_SECONDS = 3600


class SignInFailed(Exception):
    """The provider's answer cannot sign anyone in (the message says why, for the log and the page)."""


@dataclass(frozen=True)
class Started:
    url: str
    state: str
    code_verifier: str
    nonce: str


@dataclass(frozen=True)
class SignedIn:
    claims: dict[str, Any]
    id_token: str


class OidcClient:
    def __init__(self, issuer: str, client_id: str, client_secret: str, *, leeway: int = 30):
        self.issuer = issuer.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self.leeway = leeway
        self._metadata: dict[str, Any] | None = None
        self._keys: KeySet | None = None
        self._loaded_at = 0.0
        self._lock = asyncio.Lock()

    async def metadata(self, *, refresh: bool = False) -> dict[str, Any]:
        async with self._lock:
            stale = time.monotonic() - self._loaded_at > METADATA_SECONDS
            if self._metadata is None or refresh or stale:
                async with httpx.AsyncClient(timeout=10) as http:
                    found = (
                        await http.get(self.issuer + "/.well-known/openid-configuration")
                    ).raise_for_status()
                    metadata = found.json()
                    if metadata.get("issuer", "").rstrip("/") != self.issuer:
                        raise SignInFailed("the provider's metadata names another issuer")
                    keys = (await http.get(metadata["jwks_uri"])).raise_for_status().json()
                self._metadata, self._keys = metadata, KeySet.import_key_set(keys)
                self._loaded_at = time.monotonic()
            return self._metadata

    def _client(self, redirect_uri: str) -> AsyncOAuth2Client:
        return AsyncOAuth2Client(
            client_id=self.client_id,
            client_secret=self.client_secret,
            scope="openid profile",
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            token_endpoint_auth_method="client_secret_basic",
            timeout=10,
        )

    async def start(self, redirect_uri: str) -> Started:
        metadata = await self.metadata()
        verifier = generate_token(64)
        nonce = generate_token(32)
        async with self._client(redirect_uri) as client:
            url, state = client.create_authorization_url(
                metadata["authorization_endpoint"], code_verifier=verifier, nonce=nonce
            )
        return Started(url=url, state=state, code_verifier=verifier, nonce=nonce)

    async def finish(self, *, code: str, redirect_uri: str, code_verifier: str, nonce: str) -> SignedIn:
        metadata = await self.metadata()
        async with self._client(redirect_uri) as client:
            try:
                token = await client.fetch_token(
                    metadata["token_endpoint"], code=code, code_verifier=code_verifier
                )
            except Exception as exc:  # an OAuth error answer or a transport failure
                raise SignInFailed(f"the provider refused the code: {exc}") from exc
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise SignInFailed("the provider sent no ID token")
        return SignedIn(claims=await self._verify(id_token, nonce), id_token=id_token)

    async def _verify(self, id_token: str, nonce: str) -> dict[str, Any]:
        assert self._keys is not None
        try:
            try:
                decoded = jwt.decode(id_token, self._keys, algorithms=ALGORITHMS)
            except (JoseError, ValueError):
                await self.metadata(refresh=True)  # a rotated key: fetch the new set once
                decoded = jwt.decode(id_token, self._keys, algorithms=ALGORITHMS)
            jwt.JWTClaimsRegistry(
                leeway=self.leeway,
                iss={"essential": True, "value": self.issuer},
                aud={"essential": True, "value": self.client_id},
                sub={"essential": True},
                exp={"essential": True},
                iat={"essential": True},
                nonce={"essential": True, "value": nonce},
            ).validate(decoded.claims)
        except (JoseError, ValueError) as exc:
            raise SignInFailed(f"the ID token does not check out: {exc}") from exc
        return dict(decoded.claims)

    async def end_session_url(self, *, id_token: str | None, post_logout_redirect_uri: str) -> str | None:
        """Where to send the browser so the provider's session ends too (None: it offers no way)."""
        try:
            endpoint = (await self.metadata()).get("end_session_endpoint")
        except (httpx.HTTPError, SignInFailed, KeyError, ValueError):
            return None
        if not endpoint:
            return None
        query = {"client_id": self.client_id, "post_logout_redirect_uri": post_logout_redirect_uri}
        if id_token:
            query["id_token_hint"] = id_token
        return f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(query)}"


def client_from(settings: Any) -> OidcClient | None:
    """The configured provider's client (`console_oidc_*` settings), or None when none is set."""
    if not settings.console_oidc_issuer:
        return None
    return OidcClient(
        settings.console_oidc_issuer,
        settings.console_oidc_client_id,
        settings.console_oidc_client_secret.get_secret_value(),
        leeway=settings.jwt_leeway_seconds,
    )
