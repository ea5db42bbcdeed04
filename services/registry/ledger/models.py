"""The ledger: per-enterprise hash chains of audit entries, signed checkpoints, the partner feed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, PrimaryKeyConstraint, String, Text, UniqueConstraint
from sqlmodel import Field

from services.common.db import BigId, UTCDateTime
from services.registry.database import RegistryModel


class Change(RegistryModel, table=True):
    """One change a partner's decision may depend on.

    `seq` is an insertion id (it may have gaps: a rolled-back write uses one up). `position` is the
    feed's number, given after commit by the sequencer, gap-free and in the order changes became
    visible; the feed serves only positioned changes.
    """

    __tablename__ = "change"

    # Keyed (uscc, seq), distributed by uscc; on SQLite `seq` alone stays the (rowid) key. `position`
    # is unique by construction (one sequencer, under its lock), not by a constraint: a unique index
    # on it alone cannot exist on a table distributed by uscc.
    seq: int = Field(sa_type=BigId, sa_column_kwargs={"autoincrement": True})
    position: int | None = Field(default=None, sa_type=BigInteger)
    kind: str = Field(sa_type=String(32))
    uscc: str = Field(sa_type=String(18))
    data: dict[str, Any] = Field(sa_type=JSON)
    at: datetime = Field(sa_type=UTCDateTime())

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


class AuditEntry(RegistryModel, table=True):
    """A credit-affecting write, one link of its enterprise's chain.

    `chain` is the enterprise's code ('' for registry-wide facts such as a spot-check draw);
    `version` counts the chain's entries from 1; `hash` covers the content and `prev_hash`, the hash
    of the same chain's previous entry. `position` orders all chains for the checkpoints, given
    after commit like the feed's.
    """

    __tablename__ = "audit_entry"

    # Keyed (chain, seq), distributed by `chain` (the enterprise's code, so colocated with it; the
    # registry chain '' is one shard's). SQLite keeps `seq` alone as its (rowid) key.
    seq: int = Field(sa_type=BigId, sa_column_kwargs={"autoincrement": True})
    chain: str = Field(sa_type=String(18))
    version: int = Field(sa_type=Integer)
    position: int | None = Field(default=None, sa_type=BigInteger)
    at: datetime = Field(sa_type=UTCDateTime())
    actor: str = Field(sa_type=String(200))
    action: str = Field(sa_type=String(40))
    uscc: str | None = Field(default=None, sa_type=String(18))
    subject: str | None = Field(default=None, sa_type=String(64))
    data: dict[str, Any] = Field(sa_type=JSON)
    prev_hash: str = Field(sa_type=String(64))
    hash: str = Field(sa_type=String(64))

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


class AuditChain(RegistryModel, table=True):
    """The head of a chain that belongs to no enterprise (the registry-wide chain, name '')."""

    __tablename__ = "audit_chain"

    name: str = Field(sa_type=String(18), primary_key=True)
    version: int = Field(sa_type=Integer)
    head: str = Field(sa_type=String(64))


class AuditCheckpoint(RegistryModel, table=True):
    """A signed Merkle root over every chain's head as of audit position `tree_size`."""

    __tablename__ = "audit_checkpoint"

    id: int = Field(sa_type=BigId, primary_key=True, sa_column_kwargs={"autoincrement": True})
    at: datetime = Field(sa_type=UTCDateTime())
    tree_size: int = Field(sa_type=BigInteger)
    chains: int = Field(sa_type=Integer)
    root: str = Field(sa_type=String(64))
    key_id: str = Field(sa_type=String(64))
    signature: str = Field(sa_type=Text)


class FeedHorizon(RegistryModel, table=True):
    """How far a log ('change' or 'audit') is numbered and committed everywhere: readers stop here.

    The sequencer writes it in its own transaction after the numbering one has committed, so on a
    sharded database (Citus: a commit reaches the shards one after another) every position up to the
    horizon is visible on every shard before any reader is told about it (ledger/feed.py).
    """

    __tablename__ = "feed_horizon"

    log: str = Field(sa_type=String(8), primary_key=True)
    position: int = Field(sa_type=BigInteger)
