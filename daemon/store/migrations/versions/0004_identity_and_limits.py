"""What an account *is*, the file a problem was found in, and a per-interview interviewer limit.

- ``accounts.identity``: the calendar and mailbox an account serves (an .ics folder, a Maildir,
  a Google or Microsoft user), so that renaming or re-ordering ``[[accounts]]`` in the config
  carries the account's interviews and follow-ups over instead of drafting everything again.
  Filled in at the first start after this migration, from the config.
- ``problems.container``: the file or folder holding a skipped item, so ``status`` can list each
  broken event of one file and count them per file.
- ``interviews.max_interviewers``: the user's override of ``[detection].max_interviewers`` for
  one interview (``followupd note ID --max-interviewers N``).
- ``ix_interviews_start_at``: before a draft is made, the drafter looks for the same person's
  follow-up of a meeting at the same time under another calendar id, in any account.

Only nullable columns and an index are added; every row is kept as it is.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 11:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# (table, column, type): all nullable
ADDED: list[tuple[str, str, sa.types.TypeEngine]] = [
    ("accounts", "identity", sa.Text()),
    ("problems", "container", sa.Text()),
    ("interviews", "max_interviewers", sa.Integer()),
]


def upgrade() -> None:
    for table, name, type_ in ADDED:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column(name, type_, nullable=True))
    op.create_index("ix_interviews_start_at", "interviews", ["start_at"])


def downgrade() -> None:
    op.drop_index("ix_interviews_start_at", table_name="interviews")
    for table, name, _type in reversed(ADDED):
        with op.batch_alter_table(table) as batch:
            batch.drop_column(name)
