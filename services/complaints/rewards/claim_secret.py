"""Claim secrets: random, shown once, stored only as a salted scrypt hash."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import os
import secrets

# RFC 7914 parameters: 16 MiB of memory per guess, so a stolen table is slow to brute-force.
_N, _R, _P = 2**14, 8, 1
_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read out over the phone


def new_secret() -> str:
    """100 random bits in five groups, e.g. 7QMX-2WDK-9HCT-P4RA-LZ3E."""
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(20))
    return "-".join(raw[i : i + 4] for i in range(0, 20, 4))


def _normalise(secret: str) -> bytes:
    return secret.strip().upper().replace("-", "").replace(" ", "").encode()


def _scrypt(secret: str, salt: bytes) -> bytes:
    return hashlib.scrypt(_normalise(secret), salt=salt, n=_N, r=_R, p=_P, dklen=32)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


async def hash_secret(secret: str) -> str:
    salt = os.urandom(16)
    digest = await asyncio.to_thread(_scrypt, secret, salt)
    return f"scrypt${_N}${_R}${_P}${_b64(salt)}${_b64(digest)}"


async def verify(secret: str, stored: str) -> bool:
    _, n, r, p, salt, digest = stored.split("$")
    if (int(n), int(r), int(p)) != (_N, _R, _P):
        raise ValueError("claim secret hashed with unknown parameters")
    candidate = await asyncio.to_thread(_scrypt, secret, base64.b64decode(salt))
    return hmac.compare_digest(candidate, base64.b64decode(digest))
