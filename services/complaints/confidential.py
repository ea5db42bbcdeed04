"""Reporter identity at rest: Fernet (AES-128-CBC + HMAC-SHA256) with a key from settings."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

DEV_KEY_FILE = "reporter.fernet"


class Vault:
    """Encrypts with the first key; decrypts with any (so keys can be rotated)."""

    def __init__(self, keys: list[str]):
        if not keys:
            raise ValueError("at least one reporter encryption key is required")
        self._fernet = MultiFernet([Fernet(k.encode()) for k in keys])

    def seal(self, value: str | None) -> str | None:
        return None if value is None else self._fernet.encrypt(value.encode()).decode()

    def open(self, token: str | None) -> str | None:
        if token is None:
            return None
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise ValueError("reporter data cannot be decrypted with the configured keys") from exc


def dev_key(data_dir: Path) -> str:
    """DEV KEY: generated on first run into the data dir; production sets COMPLAINTS_REPORTER_KEYS."""
    path = data_dir / "keys" / DEV_KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(Fernet.generate_key().decode())
    return path.read_text().strip()
