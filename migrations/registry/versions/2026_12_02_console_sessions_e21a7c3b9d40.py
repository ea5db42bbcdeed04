"""work-console sessions (issue 21)

One row per signed-in person (or sign-in in progress): the SHA-256 of the cookie token, the role,
subject and enterprise code taken from the identity provider's claims, the CSRF token, the
OpenID Connect state, PKCE verifier and nonce while signing in, expiry and revocation. A person's
session, not an enterprise's record: keyed by its token hash alone. A new table: nothing to migrate.

Revision ID: e21a7c3b9d40
Revises: e5a9c3d71b28
Create Date: 2026-12-02 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from services.common.db import UTCDateTime

revision: str = "e21a7c3b9d40"
down_revision: str | None = "e5a9c3d71b28"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "console_session",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("role", sa.String(16)),
        sa.Column("subject", sa.String(200)),
        sa.Column("uscc", sa.String(18)),
        sa.Column("display_name", sa.String(200)),
        sa.Column("issuer", sa.String(500)),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("oidc_state", sa.String(128)),
        sa.Column("code_verifier", sa.String(128)),
        sa.Column("nonce", sa.String(128)),
        sa.Column("next_path", sa.String(500)),
        sa.Column("id_token", sa.Text()),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime()),
        sa.PrimaryKeyConstraint("id", name="pk_console_session"),
    )
    op.create_index("ix_console_session_subject", "console_session", ["subject"])
    op.create_index("ix_console_session_expires_at", "console_session", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_console_session_expires_at", table_name="console_session")
    op.drop_index("ix_console_session_subject", table_name="console_session")
    op.drop_table("console_session")
