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
    seq: int
    hash: str


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
    """The latest sequence number and hash (public): publish it, and any later edit shows."""
    head = await service.head(session)
    return AuditHead(seq=head.seq, hash=head.hash)
