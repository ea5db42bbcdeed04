"""Audit endpoints: the chain for regulators, its head for anyone."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from services.common.auth import Principal, require_roles
from services.common.db import SessionDep
from services.common.errors import responses
from services.common.pagination import MAX_SEQUENCE
from services.common.roles import Role
from services.common.uscc import UsccFormat
from services.registry.ledger import service

router = APIRouter(tags=["audit"])
Regulator = Annotated[Principal, Depends(require_roles(Role.regulator))]


class AuditEntryOut(BaseModel):
    seq: int
    chain: str
    version: int
    position: int | None
    at: datetime
    actor: str
    action: str
    uscc: str | None
    subject: str | None
    data: dict[str, Any]
    prev_hash: str
    hash: str


class AuditPage(BaseModel):
    items: list[AuditEntryOut]
    next_cursor: str | None


class AuditHead(BaseModel):
    """The latest signed checkpoint: a Merkle root over every chain's head (none yet: tree_size 0)."""

    id: int | None
    at: datetime | None
    tree_size: int
    chains: int
    root: str | None
    key_id: str | None
    signature: str | None


@router.get("/v1/audit", response_model=AuditPage, responses=responses(401, 403, 422))
async def read_audit(
    actor: Regulator,
    session: SessionDep,
    uscc: UsccFormat | None = None,  # type: ignore[valid-type]
    after: Annotated[int, Query(ge=0, le=MAX_SEQUENCE)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> AuditPage:
    """The audit trail in order, optionally for one enterprise (regulator)."""
    rows = await service.audit_entries(session, uscc=uscc, after=after, limit=limit)
    return AuditPage(
        items=[
            AuditEntryOut(
                seq=r.seq,
                chain=r.chain,
                version=r.version,
                position=r.position,
                at=r.at,
                actor=r.actor,
                action=r.action,
                uscc=r.uscc,
                subject=r.subject,
                data=r.data,
                prev_hash=r.prev_hash,
                hash=r.hash,
            )
            for r in rows
        ],
        next_cursor=str(rows[-1].seq) if len(rows) == limit else None,
    )


@router.get("/v1/audit/head", response_model=AuditHead)
async def read_audit_head(session: SessionDep) -> AuditHead:
    """The latest signed checkpoint (public): publish it, and any later edit or truncation shows."""
    cp = await service.latest_checkpoint(session)
    if cp is None:
        return AuditHead(id=None, at=None, tree_size=0, chains=0, root=None, key_id=None, signature=None)
    return AuditHead(
        id=cp.id,
        at=cp.at,
        tree_size=cp.tree_size,
        chains=cp.chains,
        root=cp.root,
        key_id=cp.key_id,
        signature=cp.signature,
    )
