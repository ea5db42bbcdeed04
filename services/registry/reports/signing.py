"""The reports' signing key and the published keys that verify them (a JWKS, rotated like the others).

Rotation: put the new private key in `REGISTRY_REPORTS_KEY_FILE` and add its public key to
`REGISTRY_REPORTS_JWKS_FILE` beside the old ones; reports signed by an old key verify as long as its
key stays published. In development both are generated in the data directory (DEV KEY, never trusted
in production).
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from services.common.devkeys import load_private_key, public_jwk
from services.registry.ledger.chain import canonical

REPORTS_KEY_NAME = "registry-reports"


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class ReportKeys:
    kid: str
    private_key: Ed25519PrivateKey
    jwks_file: Path

    def published(self) -> dict[str, Any]:
        """The JWKS as it stands in the file (read each time: rotation needs no restart)."""
        return json.loads(self.jwks_file.read_text(encoding="utf-8"))

    def public_keys(self) -> dict[str, Ed25519PublicKey]:
        keys = {}
        for jwk in self.published().get("keys", []):
            if jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519":
                keys[jwk["kid"]] = Ed25519PublicKey.from_public_bytes(_b64url_decode(jwk["x"]))
        return keys


def load_keys(key_file: Path, jwks_file: Path) -> ReportKeys:
    key = load_private_key(key_file)
    return ReportKeys(kid=public_jwk(key)["kid"], private_key=key, jwks_file=jwks_file)


def encode(document: dict[str, Any]) -> str:
    """The canonical JSON text of a document: sorted keys, no spaces, UTF-8 (what is hashed and signed)."""
    return canonical(document)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def sign(keys: ReportKeys, text: str) -> str:
    return base64.urlsafe_b64encode(keys.private_key.sign(text.encode())).rstrip(b"=").decode()


def check(public_keys: dict[str, Ed25519PublicKey], *, kid: str, text: str, signature: str) -> str | None:
    """None when the signature is good; otherwise why not."""
    key = public_keys.get(kid)
    if key is None:
        return f"signed by a key the registry does not publish ({kid})"
    try:
        key.verify(_b64url_decode(signature), text.encode())
    except (InvalidSignature, ValueError):
        return "the signature does not match the content"
    return None
