"""Commit-reveal draws (双随机): the one draw implementation of the registry.

1. Commit: the server generates a secret seed and publishes only `seed_sha256` = SHA-256 of the
   seed's UTF-8 bytes (hex), together with the frozen candidate list (its count and `candidates_sha256`).
2. Reveal: at the draw the seed is published; anyone checks `sha256(seed) == seed_sha256` and
   recomputes the draw from the candidates and the seed alone.

Each candidate's draw key is SHA-256 of "<seed>:<candidate>" (hex); within a stratum the `quota`
smallest keys win, in key order. The result depends on the seed and the set of candidates only (not
their order, the database or the language):

    sorted(candidates, key=lambda c: hashlib.sha256(f"{seed}:{c}".encode()).hexdigest())[:quota]

Nobody, the regulator included, knows the seed before the candidates are frozen, so nobody can search
for a seed that picks (or spares) a given enterprise.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Mapping

from services.common.auth import Principal
from services.common.errors import Forbidden, Unauthorized
from services.common.roles import Role

METHOD = "sha256-rank-commit-reveal"


def ensure_may_read_candidates(actor: Principal | None, *, revealed: bool) -> None:
    """A draw's candidate list is public once its seed is revealed (anyone re-runs the draw, 一公开);
    before, while the seed is secret, it is the regulators' only."""
    if revealed:
        return
    if actor is None:
        raise Unauthorized("the candidates are public once the draw is made; until then a token is needed")
    if actor.role != Role.regulator:
        raise Forbidden("the candidates are public once the draw is made; until then regulators only")


def new_seed() -> str:
    return secrets.token_hex(16)


def seed_digest(seed: str) -> str:
    """What is published at the commitment."""
    return hashlib.sha256(seed.encode()).hexdigest()


def matches(seed: str, digest: str) -> bool:
    return hmac.compare_digest(seed_digest(seed), digest)


def draw_key(seed: str, candidate: str) -> str:
    return hashlib.sha256(f"{seed}:{candidate}".encode()).hexdigest()


def draw(seed: str, candidates: Iterable[str], n: int) -> list[str]:
    return sorted(set(candidates), key=lambda c: draw_key(seed, c))[:n]


def draw_strata(
    seed: str, strata: Mapping[str, Iterable[str]], quotas: Mapping[str, int]
) -> dict[str, list[str]]:
    """The same ranking within each stratum (e.g. a risk class), `quotas[stratum]` from each."""
    return {name: draw(seed, members, quotas.get(name, 0)) for name, members in sorted(strata.items())}


def candidates_digest(candidates: Iterable[str]) -> str:
    """SHA-256 of the sorted candidate ids, one per line: a short way to compare candidate lists."""
    return hashlib.sha256("\n".join(sorted(set(candidates))).encode()).hexdigest()
