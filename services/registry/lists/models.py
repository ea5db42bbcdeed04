"""Red- and black-list entries, their transitions, the enterprise's statements and repair applications.

Nothing here is deleted: a removed entry keeps its record, with how, when and by whom it left.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKeyConstraint,
    Index,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlmodel import Field

from services.common.db import BigId, UTCDateTime
from services.registry.database import RegistryModel


class ListEntry(RegistryModel, table=True):
    __tablename__ = "list_entry"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, sa_type=Uuid)
    uscc: str = Field(sa_type=String(18), foreign_key="enterprise.uscc")
    kind: str = Field(sa_type=String(8))  # "black" or "red"
    status: str = Field(sa_type=String(16))
    reason: str = Field(sa_type=Text)
    legal_basis: str = Field(sa_type=String(500))
    decision_no: str = Field(sa_type=String(200))
    authority: str | None = Field(default=None, sa_type=String(200))
    # How the authority's level and province are known: see lists/authority.py.
    authority_level: str | None = Field(default=None, sa_type=String(16))
    authority_division: str | None = Field(default=None, sa_type=String(6))
    # End of a statutory restriction (限制从业 …) that outlasts three years (Order 44 第二十一条) or
    # bars early removal while it runs (第十六条第二款).
    restriction_ends_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    decided_at: datetime = Field(sa_type=UTCDateTime())
    proposed_at: datetime = Field(sa_type=UTCDateTime())
    proposed_by: str = Field(sa_type=String(200))
    notice_served_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    defence_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    defence_due_provisional: bool = Field(default=False, sa_type=Boolean)
    # The next level's consent (Order 44 第二十二条): which authority consented, its document, when.
    consent_by: str | None = Field(default=None, sa_type=String(200))
    consent_ref: str | None = Field(default=None, sa_type=String(200))
    consent_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    consent_recorded_by: str | None = Field(default=None, sa_type=String(200))
    # The listing decision and its publication deadline (第十四条); across provinces, the push too.
    listing_decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    publication_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    publication_due_provisional: bool = Field(default=False, sa_type=Boolean)
    push_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    push_due_provisional: bool = Field(default=False, sa_type=Boolean)
    pushed_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    listed_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    # End of the publication term (black list); the entry is not public from this instant on,
    # whether or not the sweep has recorded the removal yet.
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    removed_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    removed_by: str | None = Field(default=None, sa_type=String(200))
    exit_kind: str | None = Field(default=None, sa_type=String(16))
    exit_reason: str | None = Field(default=None, sa_type=Text)
    exit_ref: str | None = Field(default=None, sa_type=String(200))
    # Publication elsewhere (国家企业信用信息公示系统) stops by then (第十八条、第十九条); ours stops at once.
    stop_publication_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    stop_publication_due_provisional: bool = Field(default=False, sa_type=Boolean)
    # The working-day calendar the deadlines were computed with (its fingerprint): a newer one
    # recomputes them (lists/deadlines.py).
    deadlines_calendar: str | None = Field(default=None, sa_type=String(16))
    updated_at: datetime = Field(sa_type=UTCDateTime())

    __table_args__ = (
        PrimaryKeyConstraint("uscc", "id"),  # distributed by uscc (registry/distribution.py)
        # One entry per decision: a retried proposal finds the first instead of making a second.
        UniqueConstraint("kind", "uscc", "decision_no"),
        Index("ix_list_entry_uscc_proposed_at", "uscc", "proposed_at"),
        Index("ix_list_entry_kind_status_listed_at", "kind", "status", "listed_at"),
        Index("ix_list_entry_status_expires_at", "status", "expires_at"),
        Index("ix_list_entry_status_publication_due_at", "status", "publication_due_at"),
    )


class ListTransition(RegistryModel, table=True):
    """One step of an entry's life: who took which action, when, and why."""

    __tablename__ = "list_transition"

    id: int = Field(sa_type=BigId, sa_column_kwargs={"autoincrement": True})  # SQLite: the rowid key alone
    entry_id: uuid.UUID = Field(sa_type=Uuid)
    uscc: str = Field(sa_type=String(18))
    action: str = Field(sa_type=String(24))
    from_status: str | None = Field(default=None, sa_type=String(16))
    to_status: str = Field(sa_type=String(16))
    at: datetime = Field(sa_type=UTCDateTime())
    actor: str = Field(sa_type=String(200))
    note: str | None = Field(default=None, sa_type=Text)
    reference: str | None = Field(default=None, sa_type=String(200))

    __table_args__ = (
        PrimaryKeyConstraint("uscc", "id"),
        ForeignKeyConstraint(["uscc", "entry_id"], ["list_entry.uscc", "list_entry.id"]),
        Index("ix_list_transition_entry_id_id", "entry_id", "id"),
    )


class ListStatement(RegistryModel, table=True):
    """The enterprise states its case and defends itself (陈述、申辩), perhaps asking for a hearing."""

    __tablename__ = "list_statement"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, sa_type=Uuid)
    entry_id: uuid.UUID = Field(sa_type=Uuid)
    uscc: str = Field(sa_type=String(18))
    text: str = Field(sa_type=Text)
    hearing_requested: bool = Field(sa_type=Boolean)
    submitted_at: datetime = Field(sa_type=UTCDateTime())
    submitted_by: str = Field(sa_type=String(200))
    reply: str | None = Field(default=None, sa_type=Text)
    replied_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    replied_by: str | None = Field(default=None, sa_type=String(200))

    __table_args__ = (
        PrimaryKeyConstraint("uscc", "id"),
        ForeignKeyConstraint(["uscc", "entry_id"], ["list_entry.uscc", "list_entry.id"]),
        Index("ix_list_statement_entry_id", "entry_id"),
    )


class RepairApplication(RegistryModel, table=True):
    """A credit-repair application (信用修复, early removal from the black list) and its decision."""

    __tablename__ = "repair_application"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, sa_type=Uuid)
    entry_id: uuid.UUID = Field(sa_type=Uuid)
    uscc: str = Field(sa_type=String(18))
    # received → accepted | refused (第十七条第二款); accepted → approved | rejected (第十七条第三款);
    # closed (the entry left the list first); revoked (an approval obtained by fraud, 第二十条).
    status: str = Field(sa_type=String(16))
    evidence: str = Field(sa_type=Text)
    # What the enterprise declared it has done (penalty fulfilled, harm removed, …), as filed.
    declarations: dict[str, Any] = Field(sa_type=JSON)
    filed_at: datetime = Field(sa_type=UTCDateTime())
    filed_by: str = Field(sa_type=String(200))
    acceptance_due_at: datetime = Field(sa_type=UTCDateTime())
    acceptance_due_provisional: bool = Field(default=False, sa_type=Boolean)
    accepted_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    accepted_by: str | None = Field(default=None, sa_type=String(200))
    # Runs from acceptance: unknown until the application is accepted.
    decision_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    decision_due_provisional: bool = Field(default=False, sa_type=Boolean)
    deadlines_calendar: str | None = Field(default=None, sa_type=String(16))
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    decided_by: str | None = Field(default=None, sa_type=String(200))
    reasons: str | None = Field(default=None, sa_type=Text)

    __table_args__ = (
        PrimaryKeyConstraint("uscc", "id"),
        ForeignKeyConstraint(["uscc", "entry_id"], ["list_entry.uscc", "list_entry.id"]),
        Index("ix_repair_application_entry_id", "entry_id"),
        Index("ix_repair_application_status_filed_at", "status", "filed_at"),
    )
