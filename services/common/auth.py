"""JWT verification against trusted issuers' public keys, and the typed principal it yields."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import httpx
import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.common.errors import Forbidden, Unauthorized
from services.common.roles import Role
from services.common.settings import TrustedIssuer

logger = logging.getLogger("qcr.auth")

ALLOWED_ALGORITHMS = frozenset({"EdDSA", "ES256", "RS256"})
_KTY_FOR_ALG = {"EdDSA": "OKP", "ES256": "EC", "RS256": "RSA"}


@dataclass(frozen=True)
class Principal:
    role: Role
    subject: str
    issuer: str
    uscc: str | None = None

    @property
    def actor(self) -> str:
        """Who did it, as recorded next to the change."""
        return f"{self.role}:{self.subject}"


class KeySet:
    """Public keys of one issuer, reloaded when the file changes or the URL's cache ages out."""

    def __init__(self, source: str, refresh_seconds: int):
        self.source = source
        self.refresh_seconds = refresh_seconds
        self._keys: dict[str, jwt.PyJWK] = {}
        self._stamp: int | None = None
        self._loaded_at = 0.0
        self._lock = asyncio.Lock()

    async def get(self, kid: str) -> jwt.PyJWK | None:
        if self._due():
            async with self._lock:  # one reload at a time; the others wait and reuse it
                if self._due():
                    await self._reload()
                    self._loaded_at = time.monotonic()
        return self._keys.get(kid)

    def _is_url(self) -> bool:
        return self.source.startswith(("http://", "https://"))

    def _due(self) -> bool:
        # URLs are cached for refresh_seconds; files are checked for changes once a second, so a
        # rotated key set takes effect without a restart.
        interval = self.refresh_seconds if self._is_url() else 1
        return not self._keys or time.monotonic() - self._loaded_at >= interval

    async def _reload(self) -> None:
        if self._is_url():
            async with httpx.AsyncClient(timeout=5) as client:
                response = await client.get(self.source)
                response.raise_for_status()
                self._install(response.json())
            return
        stamp, document = await asyncio.to_thread(self._read_if_changed, Path(self.source), self._stamp)
        if document is not None:
            self._install(document)
            self._stamp = stamp

    @staticmethod
    def _read_if_changed(path: Path, known: int | None) -> tuple[int, dict[str, Any] | None]:
        stamp = path.stat().st_mtime_ns
        return stamp, None if stamp == known else json.loads(path.read_text())

    def _install(self, document: dict[str, Any]) -> None:
        keys: dict[str, jwt.PyJWK] = {}
        for entry in document.get("keys", []):
            alg = entry.get("alg")
            if alg not in ALLOWED_ALGORITHMS or entry.get("kty") != _KTY_FOR_ALG[alg]:
                logger.warning("ignoring JWK with unsupported algorithm", extra={"kid": entry.get("kid")})
                continue
            keys[entry["kid"]] = jwt.PyJWK(entry, algorithm=alg)
        self._keys = keys


class TokenVerifier:
    def __init__(
        self, issuers: list[TrustedIssuer], *, audience: str, leeway: int, refresh_seconds: int = 60
    ):
        self.audience = audience
        self.leeway = leeway
        self._issuers = {t.issuer: (t, KeySet(t.jwks, refresh_seconds)) for t in issuers}

    async def verify(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            raise Unauthorized("malformed token") from exc
        alg = header.get("alg")
        if alg not in ALLOWED_ALGORITHMS:
            raise Unauthorized("token algorithm not accepted")
        entry = self._issuers.get(str(unverified.get("iss")))
        if entry is None:
            raise Unauthorized("token issuer not trusted")
        trusted, keyset = entry
        kid = header.get("kid")
        key = await keyset.get(str(kid)) if kid else None
        if key is None:
            raise Unauthorized("token signing key not known")
        if key.algorithm_name != alg:
            raise Unauthorized("token algorithm does not match its key")
        try:
            claims = jwt.decode(
                token,
                key.key,
                algorithms=[alg],
                audience=self.audience,
                issuer=trusted.issuer,
                leeway=self.leeway,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("token expired") from exc
        except jwt.ImmatureSignatureError as exc:
            raise Unauthorized("token not yet valid") from exc
        except jwt.InvalidAudienceError as exc:
            raise Unauthorized("token audience not accepted") from exc
        except jwt.PyJWTError as exc:
            raise Unauthorized("token invalid") from exc
        try:
            role = Role(claims.get("role"))
        except ValueError as exc:
            raise Unauthorized("token role unknown") from exc
        if role not in trusted.roles:
            raise Unauthorized("issuer may not grant this role")
        uscc = claims.get("uscc")
        if role is Role.enterprise and not uscc:
            raise Unauthorized("enterprise token without uscc claim")
        return Principal(
            role=role,
            subject=str(claims["sub"]),
            issuer=trusted.issuer,
            uscc=str(uscc) if uscc else None,
        )


_bearer = HTTPBearer(auto_error=False, description="JWT signed by a trusted issuer")


async def optional_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal | None:
    if credentials is None:
        return None
    verifier: TokenVerifier = request.app.state.verifier
    principal = await verifier.verify(credentials.credentials)
    request.state.principal = principal
    return principal


async def current_principal(
    principal: Annotated[Principal | None, Depends(optional_principal)],
) -> Principal:
    if principal is None:
        raise Unauthorized("a bearer token is required")
    return principal


def require_roles(*roles: Role) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """Dependency factory: the caller must hold one of `roles`."""
    allowed = frozenset(roles)

    async def dependency(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if principal.role not in allowed:
            raise Forbidden(
                f"role {principal.role} may not do this; allowed: "
                + ", ".join(sorted(str(r) for r in allowed))
            )
        return principal

    return dependency


def ensure_own_code(principal: Principal, uscc: str) -> None:
    """An enterprise acts on its own code only; other roles pass through to their own checks."""
    if principal.role is Role.enterprise and principal.uscc != uscc:
        raise Forbidden("an enterprise may act on its own code only")


OptionalPrincipalDep = Annotated[Principal | None, Depends(optional_principal)]
PrincipalDep = Annotated[Principal, Depends(current_principal)]
