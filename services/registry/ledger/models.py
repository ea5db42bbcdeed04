"""The ledger: per-enterprise hash chains of audit entries, signed checkpoints, the partner feed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, PrimaryKeyConstraint, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from services.common.db import BigId, UTCDateTime
from services.registry.database import Base


class Change(Base):
    """One change a partner's decision may depend on.

    `seq` is an insertion id (it may have gaps: a rolled-back write uses one up). `position` is the
    feed's number, given after commit by the sequencer, gap-free and in the order changes became
    visible; the feed serves only positioned changes.
    """

    __tablename__ = "change"

    # Keyed (uscc, seq), distributed by uscc; on SQLite `seq` alone stays the (rowid) key. `position`
    # is unique by construction (one sequencer, under its lock), not by a constraint: a unique index
    # on it alone cannot exist on a table distributed by uscc.
    seq: Mapped[int] = mapped_column(BigId, autoincrement=True)
    position: Mapped[int | None] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(32))
    uscc: Mapped[str] = mapped_column(String(18))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        PrimaryKeyConstraint("uscc", "seq"),
        Index("ix_change_position", "position"),
        Index("ix_change_uscc_seq", "uscc", "seq"),
        Index(
            "ix_change_unsequenced",
            "seq",
            postgresql_where="position IS NULL",
            sqlite_where="position IS NULL",  # type: ignore[arg-type]
        ),
    )


class AuditEntry(Base):
    """A credit-affecting write, one link of its enterprise's chain.

    `chain` is the enterprise's code ('' for registry-wide facts such as a spot-check draw);
    `version` counts the chain's entries from 1; `hash` covers the content and `prev_hash`, the hash
    of the same chain's previous entry. `position` orders all chains for the checkpoints, given
    after commit like the feed's.
    """

    __tablename__ = "audit_entry"

    # Keyed (chain, seq), distributed by `chain` (the enterprise's code, so colocated with it; the
    # registry chain '' is one shard's). SQLite keeps `seq` alone as its (rowid) key.
    seq: Mapped[int] = mapped_column(BigId, autoincrement=True)
    chain: Mapped[str] = mapped_column(String(18))
    version: Mapped[int] = mapped_column(Integer)
    position: Mapped[int | None] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40))
    uscc: Mapped[str | None] = mapped_column(String(18))
    subject: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        PrimaryKeyConstraint("chain", "seq"),
        UniqueConstraint("chain", "version"),
        Index("ix_audit_entry_position", "position"),
        Index("ix_audit_entry_uscc_seq", "uscc", "seq"),
        Index(
            "ix_audit_entry_unsequenced",
            "seq",
            postgresql_where="position IS NULL",
            sqlite_where="position IS NULL",  # type: ignore[arg-type]
        ),
    )


class AuditChain(Base):
    """The head of a chain that belongs to no enterprise (the registry-wide chain, name '')."""

    __tablename__ = "audit_chain"

    name: Mapped[str] = mapped_column(String(18), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    head: Mapped[str] = mapped_column(String(64))


class AuditCheckpoint(Base):
    """A signed Merkle root over every chain's head as of audit position `tree_size`."""

    __tablename__ = "audit_checkpoint"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    tree_size: Mapped[int] = mapped_column(BigInteger)
    chains: Mapped[int] = mapped_column(Integer)
    root: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(Text)


class FeedHorizon(Base):
    """How far a log ('change' or 'audit') is numbered and committed everywhere: readers stop here.

    The sequencer writes it in its own transaction after the numbering one has committed, so on a
    sharded database (Citus: a commit reaches the shards one after another) every position up to the
    horizon is visible on every shard before any reader is told about it (ledger/feed.py).
    """

    __tablename__ = "feed_horizon"

    log: Mapped[str] = mapped_column(String(8), primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger)
