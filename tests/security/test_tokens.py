"""Token attacks beyond tests/common/test_auth.py: tokens made for the other service, key rotation
without a restart, and claims of the wrong shape (401, never a 500)."""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.common import auth
from services.common.devkeys import (
    COMPLAINTS_ISSUER,
    COMPLAINTS_KEY_NAME,
    DEV_ISSUER,
    DEV_KEY_NAME,
    SigningKey,
    ensure_dev_keys,
    ensure_key,
    public_jwk,
    sign_token,
    write_jwks,
)
from services.common.errors import DomainError
from services.common.roles import Role
from services.registry.app import create_app
from services.registry.database import load_models
from services.registry.settings import RegistrySettings
from tests.support import Backend, Tokens, code, register, running, wipe

BATCH = "/v1/credit-status:batch"
BODY = {"usccs": [code(1)]}
PURPOSE = {"X-Purpose": "token tests"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **PURPOSE}


def partner_token(key: SigningKey) -> str:
    return sign_token(key, issuer=DEV_ISSUER, audience="registry", subject="bank-1", role=Role.partner)


async def test_a_valid_token_for_the_other_service_is_refused(
    registry: httpx.AsyncClient, complaints: httpx.AsyncClient, tokens: Tokens
) -> None:
    # Each token below is genuine and accepted where it was meant to go...
    for_complaints = tokens(Role.regulator, audience="complaints")
    assert (await complaints.get("/v1/stats", headers=for_complaints)).status_code == 200
    handler = tokens(Role.handler)
    assert (await complaints.get("/v1/complaints", headers=handler)).status_code == 200
    for_registry = tokens(Role.regulator)
    assert (await registry.post(BATCH, json=BODY, headers={**for_registry, **PURPOSE})).status_code == 200
    feed = tokens(Role.service)  # what the outbox dispatcher sends to the registry
    assert (await registry.get(f"/v1/enterprises/{code(1)}", headers=feed)).status_code == 404
    # ...and refused at the other service, whatever the role.
    for headers in (for_complaints, handler):
        refused = await registry.post(BATCH, json=BODY, headers={**headers, **PURPOSE})
        assert refused.status_code == 401, refused.text
        assert refused.headers["www-authenticate"] == "Bearer"
    # The dev issuer is trusted by both services, so its tokens fail on the audience; the complaints
    # service's own key is trusted by the registry only.
    for headers, why in [
        (for_registry, "token audience not accepted"),
        (feed, "token issuer not trusted"),
        (tokens(Role.partner), "token audience not accepted"),
        (tokens(Role.enterprise, uscc=code(1)), "token audience not accepted"),
    ]:
        refused = await complaints.get("/v1/stats", headers=headers)
        assert refused.status_code == 401, refused.text
        assert refused.json()["detail"] == why


def _unsigned_part(data: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _signed_raw(key: SigningKey, header: dict[str, object], claims: dict[str, object]) -> str:
    """A token signed by a trusted key but shaped as PyJWT would refuse to make it."""
    signing_input = f"{_unsigned_part(header)}.{_unsigned_part(claims)}"
    signature = base64.urlsafe_b64encode(key.private_key.sign(signing_input.encode())).rstrip(b"=").decode()
    return f"{signing_input}.{signature}"


async def test_claims_of_the_wrong_shape_are_401_not_500(registry: httpx.AsyncClient, keys_dir: Path) -> None:
    key = ensure_key(keys_dir, DEV_KEY_NAME)
    now = int(time.time())
    claims = {
        "iss": DEV_ISSUER,
        "aud": "registry",
        "sub": "x",
        "role": "partner",
        "iat": now,
        "exp": now + 60,
    }
    attacks = {
        "alg as a list": ({"alg": ["EdDSA"], "kid": key.kid}, claims),
        "alg as an object": ({"alg": {"EdDSA": 1}, "kid": key.kid}, claims),
        "kid as a list": ({"alg": "EdDSA", "kid": [key.kid]}, claims),
        "issuer as a list": ({"alg": "EdDSA", "kid": key.kid}, {**claims, "iss": [DEV_ISSUER]}),
        "role as a list": ({"alg": "EdDSA", "kid": key.kid}, {**claims, "role": ["regulator"]}),
        "uscc as an object": (
            {"alg": "EdDSA", "kid": key.kid},
            {**claims, "role": "enterprise", "uscc": {"code": code(1)}},
        ),
        "uscc not a code": ({"alg": "EdDSA", "kid": key.kid}, {**claims, "role": "enterprise", "uscc": "x"}),
        "claims as a list": ({"alg": "EdDSA", "kid": key.kid}, [claims]),
    }
    for name, (header, body) in attacks.items():
        token = _signed_raw(key, header, body)  # type: ignore[arg-type]
        response = await registry.post(BATCH, json=BODY, headers=bearer(token))
        assert response.status_code == 401, (name, response.text)
        assert response.headers["content-type"] == "application/problem+json", name


async def test_an_enterprise_claim_is_normalised_like_any_code(
    registry: httpx.AsyncClient, tokens: Tokens
) -> None:
    await register(registry, tokens(Role.regulator), code(1))
    full_width = code(1).translate(str.maketrans("0123456789", "０１２３４５６７８９")).lower()
    own = tokens(Role.enterprise, uscc=full_width)
    response = await registry.get(f"/v1/enterprises/{code(1)}/credit-events", headers=own)
    assert response.status_code == 200, response.text


# ---- key rotation --------------------------------------------------------------------------------


@pytest.fixture
def rotation_dir(tmp_path: Path) -> Path:
    """Dev keys of their own: rotating the session's keys would pull the rug from other tests."""
    ensure_dev_keys(tmp_path)
    return tmp_path


async def _registry_on(
    backend: Backend, data_dir: Path, **settings: object
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        RegistrySettings(
            environment="test",
            data_dir=data_dir,
            database_url=backend.registry_url,
            db_pool_size=2,
            **settings,  # type: ignore[arg-type]
        )
    )
    async with running(app) as client:
        try:
            yield client
        finally:
            await wipe(app.state.engine, load_models())


@pytest.fixture
async def rotating(backend: Backend, rotation_dir: Path) -> AsyncIterator[httpx.AsyncClient]:
    """The registry checking its JWKS file on every request (jwks_file_check_seconds = 0)."""
    async for client in _registry_on(backend, rotation_dir, jwks_file_check_seconds=0):
        yield client


@pytest.fixture
async def rotating_default(backend: Backend, rotation_dir: Path) -> AsyncIterator[httpx.AsyncClient]:
    """The registry with the default check interval (1 s)."""
    async for client in _registry_on(backend, rotation_dir):
        yield client


def new_key(data_dir: Path) -> SigningKey:
    private = Ed25519PrivateKey.generate()
    kid = public_jwk(private)["kid"]
    return SigningKey(kid=kid, private_key=private, jwks_path=data_dir / "keys" / f"{DEV_KEY_NAME}.jwks.json")


async def status(client: httpx.AsyncClient, key: SigningKey) -> int:
    return (await client.post(BATCH, json=BODY, headers=bearer(partner_token(key)))).status_code


async def test_a_removed_key_is_refused_after_rotation_without_restart(
    rotating: httpx.AsyncClient, rotation_dir: Path
) -> None:
    old = ensure_key(rotation_dir, DEV_KEY_NAME)
    new = new_key(rotation_dir)
    assert await status(rotating, old) == 200
    assert await status(rotating, new) == 401  # not published yet
    # Rotation step 1: publish the new key next to the old one; both sign valid tokens.
    write_jwks(old.jwks_path, [public_jwk(old.private_key), public_jwk(new.private_key)])
    assert await status(rotating, new) == 200
    assert await status(rotating, old) == 200
    # Step 2: retire the old key. Its tokens, unexpired, are refused from the next check on.
    write_jwks(old.jwks_path, [public_jwk(new.private_key)])
    refused = await rotating.post(BATCH, json=BODY, headers=bearer(partner_token(old)))
    assert refused.status_code == 401 and refused.json()["detail"] == "token signing key not known"
    assert await status(rotating, new) == 200


async def test_rotation_takes_effect_within_the_default_check_interval(
    rotating_default: httpx.AsyncClient, rotation_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [time.monotonic()]
    monkeypatch.setattr(auth.time, "monotonic", lambda: clock[0])
    old = ensure_key(rotation_dir, DEV_KEY_NAME)
    new = new_key(rotation_dir)
    assert await status(rotating_default, old) == 200
    write_jwks(old.jwks_path, [public_jwk(new.private_key)])
    clock[0] += 0.5  # within the interval the cached keys still answer
    assert await status(rotating_default, old) == 200
    clock[0] += 0.51  # a little over one second after the last check
    assert await status(rotating_default, old) == 401
    assert await status(rotating_default, new) == 200


async def test_a_rewrite_within_one_file_clock_tick_is_still_seen(
    rotating: httpx.AsyncClient, rotation_dir: Path
) -> None:
    """File systems with coarse timestamps give two quick rewrites the same mtime."""
    old = ensure_key(rotation_dir, DEV_KEY_NAME)
    new = new_key(rotation_dir)
    path = old.jwks_path
    tick = path.stat().st_mtime_ns
    write_jwks(path, [public_jwk(old.private_key), public_jwk(new.private_key)])
    os.utime(path, ns=(tick, tick))
    assert await status(rotating, new) == 200
    write_jwks(path, [public_jwk(new.private_key)])
    os.utime(path, ns=(tick, tick))
    assert await status(rotating, old) == 401


async def test_a_broken_key_file_keeps_the_last_good_keys_and_never_answers_500(
    rotating: httpx.AsyncClient, rotation_dir: Path
) -> None:
    old = ensure_key(rotation_dir, DEV_KEY_NAME)
    new = new_key(rotation_dir)
    assert await status(rotating, old) == 200
    for broken in ('{"keys": [', "", "[]", '{"keys": 5}'):  # e.g. caught half-written
        old.jwks_path.write_text(broken)
        assert await status(rotating, old) == 200, broken
    old.jwks_path.unlink()
    assert await status(rotating, old) == 200
    # A readable set with one unusable entry: the usable keys count, the rest is ignored.
    malformed = {"kid": "k", "alg": "EdDSA", "kty": "OKP", "x": "not a key"}
    write_jwks(
        old.jwks_path, [malformed, {"kid": "h", "alg": "HS256", "kty": "oct"}, public_jwk(new.private_key)]
    )
    assert await status(rotating, old) == 401
    assert await status(rotating, new) == 200


def _token(
    key: SigningKey, issuer: str, role: Role, *, subject: str, ttl: int, aud: object = "registry"
) -> str:
    now = int(time.time())
    claims = {
        "iss": issuer,
        "aud": aud,
        "sub": subject,
        "role": str(role),
        "iat": now,
        "nbf": now,
        "exp": now + ttl,
    }
    return jwt.encode(claims, key.private_key, algorithm="EdDSA", headers={"kid": key.kid})


async def test_service_tokens_are_for_the_named_service_and_short_lived(
    registry: httpx.AsyncClient, keys_dir: Path, tokens: Tokens
) -> None:
    await register(registry, tokens(Role.regulator), code(1))
    service_key = ensure_key(keys_dir, COMPLAINTS_KEY_NAME)
    url = f"/v1/enterprises/{code(1)}"

    def service(subject: str, ttl: int) -> dict[str, str]:
        return bearer(_token(service_key, COMPLAINTS_ISSUER, Role.service, subject=subject, ttl=ttl))

    assert (await registry.get(url, headers=service("complaints", 300))).status_code == 200
    for headers, why in [
        (service("intruder", 300), "a service token for a service the registry does not know"),
        (service("complaints", 2 * 3600), "a service token living for hours"),
    ]:
        refused = await registry.get(url, headers=headers)
        assert refused.status_code == 401, why
        assert refused.headers["content-type"] == "application/problem+json", why
    dev_key = ensure_key(keys_dir, DEV_KEY_NAME)
    partner = _token(dev_key, DEV_ISSUER, Role.partner, subject="bank-1", ttl=8 * 3600)
    assert (await registry.post(BATCH, json=BODY, headers=bearer(partner))).status_code == 200
    week = _token(dev_key, DEV_ISSUER, Role.partner, subject="bank-1", ttl=7 * 24 * 3600)
    assert (await registry.post(BATCH, json=BODY, headers=bearer(week))).status_code == 401


async def test_an_audience_list_naming_another_service_is_refused_unless_configured(
    registry: httpx.AsyncClient, keys_dir: Path
) -> None:
    dev_key = ensure_key(keys_dir, DEV_KEY_NAME)

    def partner(aud: object) -> dict[str, str]:
        return bearer(_token(dev_key, DEV_ISSUER, Role.partner, subject="bank-1", ttl=600, aud=aud))

    assert (await registry.post(BATCH, json=BODY, headers=partner(["registry"]))).status_code == 200
    both = await registry.post(BATCH, json=BODY, headers=partner(["registry", "complaints"]))
    assert both.status_code == 401 and both.json()["detail"] == "token audience not accepted"
    settings = RegistrySettings(environment="test", data_dir=keys_dir, jwt_extra_audiences=["complaints"])
    verifier = auth.TokenVerifier(
        settings.trusted_issuers, audience="registry", leeway=30, extra_audiences=settings.jwt_extra_audiences
    )
    token = _token(
        dev_key, DEV_ISSUER, Role.partner, subject="bank-1", ttl=600, aud=["registry", "complaints"]
    )
    assert (await verifier.verify(token)).subject == "bank-1"
    stranger = _token(dev_key, DEV_ISSUER, Role.partner, subject="bank-1", ttl=600, aud=["registry", "bank"])
    with pytest.raises(DomainError):
        await verifier.verify(stranger)


def test_a_jwks_url_must_be_https_outside_development(keys_dir: Path) -> None:
    issuer = {"issuer": "https://idp.example", "jwks": "http://idp.example/jwks.json", "roles": ["regulator"]}
    RegistrySettings(environment="dev", data_dir=keys_dir, trusted_issuers=[issuer])
    for environment in ("test", "production"):
        with pytest.raises(ValueError, match="https"):
            RegistrySettings(
                environment=environment,
                data_dir=keys_dir,
                database_url="postgresql+asyncpg://db/registry",
                ledger_key_file=keys_dir / "ledger.pem",
                reports_key_file=keys_dir / "reports.pem",
                reports_jwks_file=keys_dir / "reports.jwks.json",
                trusted_issuers=[issuer],
            )
    https = {**issuer, "jwks": "https://idp.example/jwks.json"}
    RegistrySettings(
        environment="production",
        data_dir=keys_dir,
        database_url="postgresql+asyncpg://db/registry",
        ledger_key_file=keys_dir / "ledger.pem",
        reports_key_file=keys_dir / "reports.pem",
        reports_jwks_file=keys_dir / "reports.jwks.json",
        trusted_issuers=[https],
    )
