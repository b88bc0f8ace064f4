"""Indexes for the queries every poll and every wake-up runs.

Without them each of these reads the whole table, and the tables only grow (follow-ups and
transitions are never deleted: they are the history ``status --all`` shows):

- ``ix_followups_state_due_at``: the due-work query and the next wake-up time
  (``state IN ('scheduled', 'creating') AND due_at <= now ORDER BY due_at``);
- ``ix_interviews_account_start_at``: the interviews of an account inside the sync window, read
  after every complete calendar sync to find deleted events;
- ``ix_transitions_followup_id``: a follow-up's history (``transitions`` had no index at all).

Only indexes are added: no row is touched, so the upgrade is safe on any existing state.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 18:30:00.000000
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_followups_state_due_at", "followups", ["state", "due_at"])
    op.create_index("ix_interviews_account_start_at", "interviews", ["account", "start_at"])
    op.create_index("ix_transitions_followup_id", "transitions", ["followup_id"])


def downgrade() -> None:
    op.drop_index("ix_transitions_followup_id", table_name="transitions")
    op.drop_index("ix_interviews_account_start_at", table_name="interviews")
    op.drop_index("ix_followups_state_due_at", table_name="followups")
