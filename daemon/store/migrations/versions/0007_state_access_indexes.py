"""Indexes so that an account's poll and a round of due work read what they need, not a table.

Issue 14: with a thousand accounts in one store, every query that ran as a scan or as a walk
through every account's rows made each account's poll slower as the others grew (4.1 ms per
lookup of a process's interviews at 1,000 accounts; 0.02 ms with an index).

- ``ix_interviews_process_id``: a process's interviews (the reply check, the planner's state);
  ``interviews.process_id`` is a foreign key and had no index at all;
- ``ix_followups_interview_id_state``: the follow-ups of an account's interviews in one state
  (drafts waiting for the user, inquiries waiting for mail, thank-yous waiting for an end), so
  that the database walks the account's interviews instead of every account's drafts;
- ``ix_interviews_unmarked_end_at``: the interviews whose end the user has not been told about
  yet (``notified_at`` unset or before ``end_at``), by account and end: a partial index, so the
  round's "which interviews ended" and the service's "when does the next one end" read the
  interviews to come, not the whole history. Its condition is ``daemon.notify.watch``'s, word for
  word: SQLite uses a partial index only for a query that states the same condition.

Only indexes are added: no row is touched, so the upgrade is safe on any existing state.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 22:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

UNMARKED = "notified_at IS NULL OR notified_at < end_at"


def upgrade() -> None:
    op.create_index("ix_interviews_process_id", "interviews", ["process_id"])
    op.create_index("ix_followups_interview_id_state", "followups", ["interview_id", "state"])
    op.create_index(
        "ix_interviews_unmarked_end_at",
        "interviews",
        ["account", "end_at"],
        sqlite_where=sa.text(UNMARKED),
        postgresql_where=sa.text(UNMARKED),
    )


def downgrade() -> None:
    op.drop_index("ix_interviews_unmarked_end_at", table_name="interviews")
    op.drop_index("ix_followups_interview_id_state", table_name="followups")
    op.drop_index("ix_interviews_process_id", table_name="interviews")
