"""Signed checkpoints: a Merkle root over every chain's head, like Certificate Transparency's STH.

The leaves are the chains' heads as of audit position `tree_size` — (chain, version, hash), sorted
by chain — hashed as RFC 6962 does (leaf `H(0x00 ‖ leaf)`, node `H(0x01 ‖ left ‖ right)`, split at the
largest power of two below n). The root, the size and the time are signed with the registry's
Ed25519 key. Editing any entry changes its chain's later hashes; dropping a chain's tail or a whole
chain changes a leaf; either way a stored checkpoint's root no longer recomputes.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.ledger.chain import canonical
from services.registry.ledger.feed import horizon
from services.registry.ledger.models import AuditCheckpoint, AuditEntry

LEDGER_KEY_NAME = "registry-ledger"


def merkle_root(leaves: list[bytes]) -> str:
    if not leaves:
        return hashlib.sha256(b"").hexdigest()
    level = [hashlib.sha256(b"\x00" + leaf).digest() for leaf in leaves]
    return _subtree(level).hex()


def _subtree(nodes: list[bytes]) -> bytes:
    if len(nodes) == 1:
        return nodes[0]
    split = 1 << ((len(nodes) - 1).bit_length() - 1)
    return hashlib.sha256(b"\x01" + _subtree(nodes[:split]) + _subtree(nodes[split:])).digest()


def _leaf(chain: str, version: int, head: str) -> bytes:
    return f"{chain}\x00{version}\x00{head}".encode()


async def heads_at(session: AsyncSession, tree_size: int) -> list[bytes]:
    """Each chain's last entry among audit positions 1…tree_size, as leaves sorted by chain."""
    last = (
        select(AuditEntry.chain, func.max(AuditEntry.version).label("version"))
        .where(AuditEntry.position <= tree_size)
        .group_by(AuditEntry.chain)
        .subquery()
    )
    rows = await session.execute(
        select(AuditEntry.chain, AuditEntry.version, AuditEntry.hash)
        .join(last, and_(AuditEntry.chain == last.c.chain, AuditEntry.version == last.c.version))
        .order_by(AuditEntry.chain)
    )
    return [_leaf(c, v, h) for c, v, h in rows.all()]


def _signed(*, tree_size: int, chains: int, root: str, at: datetime) -> bytes:
    return canonical({"tree_size": tree_size, "chains": chains, "root": root, "at": at.isoformat()}).encode()


def key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def load_key(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    assert isinstance(key, Ed25519PrivateKey), "the ledger key must be Ed25519"
    return key


async def make(session: AsyncSession, *, key: Ed25519PrivateKey, now: datetime) -> AuditCheckpoint:
    """Sign the heads as of the audit log's published horizon (run `feed.sequence` first)."""
    size = (await session.execute(select(horizon("audit")))).scalar_one()
    leaves = await heads_at(session, size)
    root = merkle_root(leaves)
    signature = key.sign(_signed(tree_size=size, chains=len(leaves), root=root, at=now))
    checkpoint = AuditCheckpoint(
        at=now,
        tree_size=size,
        chains=len(leaves),
        root=root,
        key_id=key_id(key.public_key()),
        signature=base64.b64encode(signature).decode(),
    )
    session.add(checkpoint)
    await session.flush()
    return checkpoint


@dataclass(frozen=True)
class BadCheckpoint:
    id: int
    reason: str


async def verify(
    session: AsyncSession, *, public_keys: dict[str, Ed25519PublicKey]
) -> tuple[int, BadCheckpoint | None]:
    """Check each checkpoint's signature and recompute its root; (checked, first bad or None)."""
    checked = 0
    for cp in (await session.execute(select(AuditCheckpoint).order_by(AuditCheckpoint.id))).scalars().all():
        key = public_keys.get(cp.key_id)
        if key is None:
            return checked, BadCheckpoint(cp.id, f"signed by unknown key {cp.key_id}")
        try:
            key.verify(
                base64.b64decode(cp.signature),
                _signed(tree_size=cp.tree_size, chains=cp.chains, root=cp.root, at=cp.at),
            )
        except InvalidSignature:
            return checked, BadCheckpoint(cp.id, "the signature does not match its content")
        leaves = await heads_at(session, cp.tree_size)
        if len(leaves) != cp.chains or merkle_root(leaves) != cp.root:
            return checked, BadCheckpoint(
                cp.id, f"the chains' heads at position {cp.tree_size} no longer give its root"
            )
        checked += 1
    return checked, None
