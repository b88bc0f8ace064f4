"""Several instances on one PostgreSQL: which instance works which account, and until when.

- ``account_leases``: one row per account (by its name, as every other table keys it): the
  instance that holds it (``holder``, NULL when free), when it took it, when the lease runs out
  unless renewed (``expires_at``, the database's clock), and ``generation``, raised every time
  the lease passes to another holder, so a unit of work of the previous holder can tell at
  commit time that the account is no longer its own (the fence, :mod:`daemon.running.leases`).
- ``instances``: each running instance (its id, host, pid, start, last renewal, and its home:
  host and state folder): how the instances count each other to share the accounts fairly,
  what ``status`` shows, and how a restarted instance recognises the leases of the process it
  replaces (only one process at a time has a given state folder on a host).

Both are empty until an instance on PostgreSQL starts; on SQLite (one instance) they stay empty.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 21:50:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account_leases",
        sa.Column("account", sa.String(100), primary_key=True),
        sa.Column("holder", sa.String(64), nullable=True),
        sa.Column("generation", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_account_leases_holder", "account_leases", ["holder"])
    op.create_table(
        "instances",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("host", sa.Text(), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("home", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("instances")
    op.drop_index("ix_account_leases_holder", table_name="account_leases")
    op.drop_table("account_leases")
