"""Token verification, end to end through a protected registry route."""

import base64
import hashlib
import hmac
import json
import time
from pathlib import Path

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.cli.main import main as qcr
from services.common.devkeys import (
    COMPLAINTS_ISSUER,
    COMPLAINTS_KEY_NAME,
    DEV_ISSUER,
    DEV_KEY_NAME,
    SigningKey,
    ensure_key,
    sign_token,
)
from services.common.roles import Role

URL = "/v1/credit-status:batch"
BODY = {"usccs": ["91350100M000100Y43"]}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _claims(**over: object) -> dict[str, object]:
    now = int(time.time())
    return {
        "iss": DEV_ISSUER,
        "aud": "registry",
        "sub": "p1",
        "role": "partner",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        **over,
    }


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "X-Purpose": "auth-test"}


@pytest.fixture
def dev_key(keys_dir: Path) -> SigningKey:
    return ensure_key(keys_dir, DEV_KEY_NAME)


def _signed(key: SigningKey, **over: object) -> str:
    return jwt.encode(_claims(**over), key.private_key, algorithm="EdDSA", headers={"kid": key.kid})


async def test_valid_token_passes(registry: httpx.AsyncClient, dev_key: SigningKey) -> None:
    assert (await registry.post(URL, json=BODY, headers=_bearer(_signed(dev_key)))).status_code == 200


async def test_attacks_are_401(registry: httpx.AsyncClient, dev_key: SigningKey, keys_dir: Path) -> None:
    stranger = SigningKey(kid=dev_key.kid, private_key=Ed25519PrivateKey.generate(), jwks_path=Path())
    header_none = _b64(json.dumps({"alg": "none", "typ": "JWT", "kid": dev_key.kid}).encode())
    none_token = f"{header_none}.{_b64(json.dumps(_claims()).encode())}."
    public_jwks = (keys_dir / "keys" / f"{DEV_KEY_NAME}.jwks.json").read_bytes()
    header_hs = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": dev_key.kid}).encode())
    signing_input = f"{header_hs}.{_b64(json.dumps(_claims()).encode())}"
    hs_token = (
        signing_input + "." + _b64(hmac.new(public_jwks, signing_input.encode(), hashlib.sha256).digest())
    )
    now = time.time()
    complaints_key = ensure_key(keys_dir, COMPLAINTS_KEY_NAME)
    attacks = {
        "forged signature": _signed(stranger),
        "alg none": none_token,
        "HS256 with the public key": hs_token,
        "expired": sign_token(
            dev_key,
            issuer=DEV_ISSUER,
            audience="registry",
            subject="p",
            role=Role.partner,
            ttl_seconds=60,
            now=now - 3600,
        ),
        "not yet valid": sign_token(
            dev_key,
            issuer=DEV_ISSUER,
            audience="registry",
            subject="p",
            role=Role.partner,
            now=now + 3600,
        ),
        "wrong audience": _signed(dev_key, aud="complaints"),
        "wrong issuer": _signed(dev_key, iss="someone-else"),
        "unknown kid": jwt.encode(_claims(), dev_key.private_key, algorithm="EdDSA", headers={"kid": "nope"}),
        "role the issuer may not grant": sign_token(
            complaints_key,
            issuer=COMPLAINTS_ISSUER,
            audience="registry",
            subject="c",
            role=Role.regulator,
        ),
        "enterprise without uscc": _signed(dev_key, role="enterprise"),
        "unknown role": _signed(dev_key, role="admin"),
        "no expiry": jwt.encode(
            {k: v for k, v in _claims().items() if k != "exp"},
            dev_key.private_key,
            algorithm="EdDSA",
            headers={"kid": dev_key.kid},
        ),
        "garbage": "not.a.jwt",
    }
    for name, token in attacks.items():
        response = await registry.post(URL, json=BODY, headers=_bearer(token))
        assert response.status_code == 401, name
        assert response.headers["www-authenticate"] == "Bearer", name
        assert response.headers["content-type"] == "application/problem+json", name
        assert token not in response.text, name


async def test_skew_is_bounded(registry: httpx.AsyncClient, dev_key: SigningKey) -> None:
    just_expired = sign_token(
        dev_key,
        issuer=DEV_ISSUER,
        audience="registry",
        subject="p",
        role=Role.partner,
        ttl_seconds=60,
        now=time.time() - 70,
    )
    assert (await registry.post(URL, json=BODY, headers=_bearer(just_expired))).status_code == 200
    long_expired = sign_token(
        dev_key,
        issuer=DEV_ISSUER,
        audience="registry",
        subject="p",
        role=Role.partner,
        ttl_seconds=60,
        now=time.time() - 200,
    )
    assert (await registry.post(URL, json=BODY, headers=_bearer(long_expired))).status_code == 401


def test_token_command_refuses_in_production(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert qcr(["token", "--role", "regulator", "--data-dir", str(tmp_path)]) == 0
    token = capsys.readouterr().out.strip().splitlines()[-1]
    assert jwt.get_unverified_header(token)["alg"] == "EdDSA"
    assert qcr(["token", "--role", "enterprise", "--data-dir", str(tmp_path)]) == 2
    monkeypatch.setenv("REGISTRY_ENVIRONMENT", "production")
    assert qcr(["token", "--role", "regulator", "--data-dir", str(tmp_path)]) == 1
    assert "production" in capsys.readouterr().err
