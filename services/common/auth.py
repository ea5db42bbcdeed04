"""JWT verification against trusted issuers' public keys, and the typed principal it yields."""

from __future__ import annotations

import asyncio
import hashlib
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

from services.common import uscc as uscc_rules
from services.common.errors import Forbidden, Unauthorized
from services.common.roles import Role
from services.common.settings import TrustedIssuer

logger = logging.getLogger("qcr.auth")

_VERIFIED_MAX = 10_000  # verified tokens remembered (by hash); forgotten all at once when full
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
    """Public keys of one issuer, reloaded when the file changes or the URL's cache ages out.

    A source that cannot be read or parsed (a half-written file, an unreachable URL) keeps the last
    good keys and is tried again after the interval: a failed reload never turns into a 500.
    """

    def __init__(self, source: str, refresh_seconds: float, file_check_seconds: float = 1.0):
        self.source = source
        self.refresh_seconds = refresh_seconds
        self.file_check_seconds = file_check_seconds
        self._keys: dict[str, jwt.PyJWK] = {}
        self._stamp: tuple[int, int, int] | None = None
        self._checked_at: float | None = None
        self._lock = asyncio.Lock()

    async def get(self, kid: str) -> jwt.PyJWK | None:
        if self._due():
            async with self._lock:  # one reload at a time; the others wait and reuse it
                if self._due():
                    try:
                        await self._reload()
                    except Exception:
                        logger.exception("cannot load signing keys; keeping the last good set")
                    self._checked_at = time.monotonic()
        return self._keys.get(kid)

    @property
    def checked_at(self) -> float | None:
        return self._checked_at

    def due(self) -> bool:
        return self._due()

    def _is_url(self) -> bool:
        return self.source.startswith(("http://", "https://"))

    def _due(self) -> bool:
        # URLs are cached for refresh_seconds; files are checked for changes every
        # file_check_seconds (1 s by default), so a rotated key set takes effect without a restart.
        if self._checked_at is None:
            return True
        interval = self.refresh_seconds if self._is_url() else self.file_check_seconds
        return time.monotonic() - self._checked_at >= interval

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
    def _read_if_changed(path: Path, known: tuple[int, int, int] | None) -> tuple[tuple[int, int, int], Any]:
        # The inode and size as well as the time: a file replaced twice within one tick of a coarse
        # file-system clock still reads as changed.
        info = path.stat()
        stamp = (info.st_mtime_ns, info.st_size, info.st_ino)
        return stamp, None if stamp == known else json.loads(path.read_text())

    def _install(self, document: Any) -> None:
        if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
            raise ValueError("a JWKS document is an object with a list of keys")
        keys: dict[str, jwt.PyJWK] = {}
        for entry in document["keys"]:
            entry = entry if isinstance(entry, dict) else {}
            kid, alg = entry.get("kid"), entry.get("alg")
            kty = _KTY_FOR_ALG.get(alg) if isinstance(alg, str) else None
            if not isinstance(kid, str) or kty is None or kty != entry.get("kty"):
                logger.warning("ignoring JWK with unsupported algorithm or no kid", extra={"kid": str(kid)})
                continue
            try:
                keys[kid] = jwt.PyJWK(entry, algorithm=alg)
            except jwt.PyJWTError:
                logger.warning("ignoring malformed JWK", extra={"kid": kid})
        self._keys = keys


class TokenVerifier:
    def __init__(
        self,
        issuers: list[TrustedIssuer],
        *,
        audience: str,
        leeway: int,
        refresh_seconds: float = 60,
        file_check_seconds: float = 1.0,
        extra_audiences: list[str] | None = None,
        max_lifetime: int = 12 * 3600,
        service_max_lifetime: int = 900,
        service_subjects: list[str] | None = None,
    ):
        self.audience = audience
        self.leeway = leeway
        self.accepted_audiences = frozenset([audience, *(extra_audiences or [])])
        self.max_lifetime = max_lifetime
        self.service_max_lifetime = service_max_lifetime
        self.service_subjects = frozenset(service_subjects or [])
        self._issuers = {t.issuer: (t, KeySet(t.jwks, refresh_seconds, file_check_seconds)) for t in issuers}
        self._verified: dict[bytes, tuple[Principal, KeySet, float | None, float]] = {}

    async def verify(self, token: str) -> Principal:
        """The token's principal. A verified token is remembered by its hash until it expires or its
        issuer's key set is next checked, whichever comes first: a retired key takes effect exactly
        when it would without the memory, and a token is never accepted past its `exp`."""
        digest = hashlib.sha256(token.encode()).digest()
        hit = self._verified.get(digest)
        if hit is not None:
            principal, keyset, checked_at, expires = hit
            if keyset.checked_at == checked_at and not keyset.due() and time.time() < expires:
                return principal
        principal, keyset, expires = await self._verify(token)
        if len(self._verified) >= _VERIFIED_MAX:
            self._verified.clear()
        self._verified[digest] = (principal, keyset, keyset.checked_at, expires)
        return principal

    async def _verify(self, token: str) -> tuple[Principal, KeySet, float]:
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            raise Unauthorized("malformed token") from exc
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in ALLOWED_ALGORITHMS:
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
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if not set(audiences) <= self.accepted_audiences:
            raise Unauthorized("token audience not accepted")
        try:
            role = Role(claims.get("role"))
        except ValueError as exc:
            raise Unauthorized("token role unknown") from exc
        if role not in trusted.roles:
            raise Unauthorized("issuer may not grant this role")
        cap = self.service_max_lifetime if role is Role.service else self.max_lifetime
        if not isinstance(claims["iat"], int | float) or claims["exp"] - claims["iat"] > cap:
            raise Unauthorized("token lifetime too long")
        if role is Role.service and claims["sub"] not in self.service_subjects:
            raise Unauthorized("service token for a service not known here")
        uscc = claims.get("uscc")
        if role is Role.enterprise and not uscc:
            raise Unauthorized("enterprise token without uscc claim")
        if uscc is not None:
            uscc = _claimed_code(uscc)
        principal = Principal(role=role, subject=str(claims["sub"]), issuer=trusted.issuer, uscc=uscc)
        return principal, keyset, float(claims["exp"])


def _claimed_code(value: object) -> str:
    """The uscc claim, normalised like any code input; anything else is not a token we accept."""
    if not isinstance(value, str):
        raise Unauthorized("token uscc claim is not a code")
    code = uscc_rules.normalise(value)
    try:
        uscc_rules.check_format(code)
    except uscc_rules.UsccError as exc:
        raise Unauthorized("token uscc claim is not a code") from exc
    return code


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
        return check_roles(principal, allowed)

    return dependency


def check_roles(principal: Principal | None, allowed: frozenset[Role]) -> Principal:
    """401 without a principal, 403 when its role is not one of `allowed`."""
    if principal is None:
        raise Unauthorized("a bearer token is required")
    if principal.role not in allowed:
        raise Forbidden(
            f"role {principal.role} may not do this; allowed: " + ", ".join(sorted(str(r) for r in allowed))
        )
    return principal


def ensure_own_code(principal: Principal, uscc: str) -> None:
    """An enterprise acts on its own code only; other roles pass through to their own checks."""
    if principal.role is Role.enterprise and principal.uscc != uscc:
        raise Forbidden("an enterprise may act on its own code only")


OptionalPrincipalDep = Annotated[Principal | None, Depends(optional_principal)]
PrincipalDep = Annotated[Principal, Depends(current_principal)]
