"""Spot-check draws (双随机): which declarations a seed picks from a candidate list.

Each candidate's draw key is SHA-256 of "<seed>:<declaration id>"; the n smallest keys win, in key
order. The result depends on the seed and the set of candidates only (not on their order, the
database or the language), so anyone holding a draw's seed and candidates can re-run it:

    sorted(candidates, key=lambda c: hashlib.sha256(f"{seed}:{c}".encode()).hexdigest())[:n]
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable

METHOD = "sha256-rank"


def new_seed() -> str:
    return secrets.token_hex(16)


def draw_key(seed: str, candidate: str) -> str:
    return hashlib.sha256(f"{seed}:{candidate}".encode()).hexdigest()


def draw(seed: str, candidates: Iterable[str], n: int) -> list[str]:
    return sorted(set(candidates), key=lambda c: draw_key(seed, c))[:n]


def candidates_digest(candidates: Iterable[str]) -> str:
    """SHA-256 of the sorted candidate ids, one per line: a short way to compare candidate lists."""
    return hashlib.sha256("\n".join(sorted(set(candidates))).encode()).hexdigest()
