"""How every registry table is placed on a Citus cluster: the one place that says so.

Distributed (hash by the enterprise's code, all colocated with `enterprise`): everything that
belongs to one enterprise. Its primary key, unique constraints and foreign keys include the
distribution column, so a write for one enterprise and every join between its rows run on one shard
(tests/registry/test_distribution.py checks the migrated schema). `audit_entry` is distributed by
`chain`, which is the enterprise's code (the registry-wide chain '' is one shard's): its entries sit
beside the enterprise row that holds the chain's head.

Reference (copied to every node): small tables that per-enterprise rows refer to by foreign key,
which a distributed table may only do to a reference table.

Local (on the coordinator only): tables that belong to no enterprise, are never joined on a worker
and are written often enough that copying each write to every node would cost more than it saves.

A table that is in none of these fails the schema test: a migration that adds a table adds it here
and distributes it in the same revision (`distribute_table` in the migration; see README "Scaling
out").
"""

from __future__ import annotations

from collections.abc import Mapping

COLOCATE_WITH = "enterprise"

# table → distribution column; every one colocated with `enterprise` (same type, varchar(18)).
DISTRIBUTED: Mapping[str, str] = {
    "enterprise": "uscc",
    "credit_event": "uscc",
    "grade_change": "uscc",
    "risk_class": "uscc",
    "list_entry": "uscc",
    "list_transition": "uscc",
    "list_statement": "uscc",
    "repair_application": "uscc",
    "standard_declaration": "uscc",
    "standard_document": "uscc",
    "standard_version": "uscc",
    "standard_flag": "uscc",
    "standard_sampled": "uscc",
    "company_prefix": "uscc",
    "product": "uscc",
    "inspection_task": "uscc",
    "credit_report": "uscc",
    "task_inspector": "uscc",
    "change": "uscc",
    "audit_entry": "chain",
}

REFERENCE: Mapping[str, str] = {
    "standard_sample": "a spot-check draw (a few a year); standard_sampled rows refer to it",
    "inspection_plan": "an inspection plan (a few a month); inspection_task rows refer to it",
    "inspector": "the inspectors (hundreds); task_inspector rows refer to them",
}

LOCAL: Mapping[str, str] = {
    "access_log": "one row per partner lookup (its codes in an array, GIN-indexed), by partner and "
    "time, not per enterprise; append-only and written on the hot path, so never copied to workers",
    "console_session": "console sign-in sessions, by cookie hash: per person, not per enterprise",
    "subscription": "partners' webhooks: a handful of rows, by partner, updated by the dispatcher",
    "audit_chain": "the registry-wide chain's head: one row",
    "audit_checkpoint": "signed checkpoints over all chains: registry-wide, a few a day",
    "risk_warning": "warnings over regions and categories (one enterprise at most): registry-wide",
    "risk_notice": "consumer notices published from warnings: registry-wide, refers to risk_warning",
    "lease": "which replica runs a periodic job: a few rows",
    "job_lease": "the warning job's lease: one row",
    "feed_horizon": "the feed's and audit log's committed horizon: one row per log (ledger/feed.py)",
    "alembic_version": "the migration state",
}


def classification(table: str) -> str | None:
    """'distributed', 'reference', 'local', or None for a table nobody has placed yet."""
    if table in DISTRIBUTED:
        return "distributed"
    if table in REFERENCE:
        return "reference"
    if table in LOCAL:
        return "local"
    return None
