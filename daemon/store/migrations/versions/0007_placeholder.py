"""Placeholder for revision 0007 (the indexes of issue 14), written on another branch.

This branch (the leases of issue 14) needs 0007 to exist so that its own 0008 has a parent;
the lead replaces this file with the real 0007 at merge. It changes nothing.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 21:50:00.000000
"""

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
