"""Red- and black-list entries, their transitions, the enterprise's statements and repair applications.

Nothing here is deleted: a removed entry keeps its record, with how, when and by whom it left.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from services.common.db import BigId, UTCDateTime
from services.registry.database import Base


class ListEntry(Base):
    __tablename__ = "list_entry"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    uscc: Mapped[str] = mapped_column(String(18), ForeignKey("enterprise.uscc"))
    kind: Mapped[str] = mapped_column(String(8))  # "black" or "red"
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    legal_basis: Mapped[str] = mapped_column(String(500))
    decision_no: Mapped[str] = mapped_column(String(200))
    authority: Mapped[str | None] = mapped_column(String(200))
    # How the authority's level and province are known: see lists/authority.py.
    authority_level: Mapped[str | None] = mapped_column(String(16))
    authority_division: Mapped[str | None] = mapped_column(String(6))
    # End of a statutory restriction (限制从业 …) that outlasts three years (Order 44 第二十一条) or
    # bars early removal while it runs (第十六条第二款).
    restriction_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    proposed_by: Mapped[str] = mapped_column(String(200))
    notice_served_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    defence_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    defence_due_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    # The next level's consent (Order 44 第二十二条): which authority consented, its document, when.
    consent_by: Mapped[str | None] = mapped_column(String(200))
    consent_ref: Mapped[str | None] = mapped_column(String(200))
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    consent_recorded_by: Mapped[str | None] = mapped_column(String(200))
    # The listing decision and its publication deadline (第十四条); across provinces, the push too.
    listing_decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    publication_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    publication_due_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    push_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    push_due_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    pushed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    listed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # End of the publication term (black list); the entry is not public from this instant on,
    # whether or not the sweep has recorded the removal yet.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    removed_by: Mapped[str | None] = mapped_column(String(200))
    exit_kind: Mapped[str | None] = mapped_column(String(16))
    exit_reason: Mapped[str | None] = mapped_column(Text)
    exit_ref: Mapped[str | None] = mapped_column(String(200))
    # Publication elsewhere (国家企业信用信息公示系统) stops by then (第十八条、第十九条); ours stops at once.
    stop_publication_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    stop_publication_due_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    # The working-day calendar the deadlines were computed with (its fingerprint): a newer one
    # recomputes them (lists/deadlines.py).
    deadlines_calendar: Mapped[str | None] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        # One entry per decision: a retried proposal finds the first instead of making a second.
        UniqueConstraint("kind", "uscc", "decision_no"),
        Index("ix_list_entry_uscc_proposed_at", "uscc", "proposed_at"),
        Index("ix_list_entry_kind_status_listed_at", "kind", "status", "listed_at"),
        Index("ix_list_entry_status_expires_at", "status", "expires_at"),
        Index("ix_list_entry_status_publication_due_at", "status", "publication_due_at"),
    )


class ListTransition(Base):
    """One step of an entry's life: who took which action, when, and why."""

    __tablename__ = "list_transition"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    entry_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("list_entry.id"))
    uscc: Mapped[str] = mapped_column(String(18))
    action: Mapped[str] = mapped_column(String(24))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    reference: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (Index("ix_list_transition_entry_id_id", "entry_id", "id"),)


class ListStatement(Base):
    """The enterprise states its case and defends itself (陈述、申辩), perhaps asking for a hearing."""

    __tablename__ = "list_statement"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    entry_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("list_entry.id"))
    uscc: Mapped[str] = mapped_column(String(18))
    text: Mapped[str] = mapped_column(Text)
    hearing_requested: Mapped[bool] = mapped_column(Boolean)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    submitted_by: Mapped[str] = mapped_column(String(200))
    reply: Mapped[str | None] = mapped_column(Text)
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    replied_by: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (Index("ix_list_statement_entry_id", "entry_id"),)


class RepairApplication(Base):
    """A credit-repair application (信用修复, early removal from the black list) and its decision."""

    __tablename__ = "repair_application"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    entry_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("list_entry.id"))
    uscc: Mapped[str] = mapped_column(String(18))
    # received → accepted | refused (第十七条第二款); accepted → approved | rejected (第十七条第三款);
    # closed (the entry left the list first); revoked (an approval obtained by fraud, 第二十条).
    status: Mapped[str] = mapped_column(String(16))
    evidence: Mapped[str] = mapped_column(Text)
    # What the enterprise declared it has done (penalty fulfilled, harm removed, …), as filed.
    declarations: Mapped[dict[str, Any]] = mapped_column(JSON)
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    filed_by: Mapped[str] = mapped_column(String(200))
    acceptance_due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    acceptance_due_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    accepted_by: Mapped[str | None] = mapped_column(String(200))
    # Runs from acceptance: unknown until the application is accepted.
    decision_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_due_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    deadlines_calendar: Mapped[str | None] = mapped_column(String(16))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by: Mapped[str | None] = mapped_column(String(200))
    reasons: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_repair_application_entry_id", "entry_id"),
        Index("ix_repair_application_status_filed_at", "status", "filed_at"),
    )
