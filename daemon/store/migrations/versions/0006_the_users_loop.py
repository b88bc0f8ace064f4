"""What the user's loop needs: notifications given, titles, drafts as written, healing failures.

- ``interviews.notified_at``: when the user was told the interview ended and notes are
  wanted, so a restart does not tell them twice.
- ``interviewers.title``: the interviewer's title as the user gave it (``followupd note ID
  --title EMAIL=TITLE`` or the note form), preferred to ``[contacts]``.
- ``followups.draft_text``: the body followupd wrote into the draft: ``preview`` compares it
  with what a redraft would write, ``redraft`` compares it with the mailbox's copy to tell
  whether the user touched the draft.
- ``followups.revision``: how many times the draft was redrafted; part of the key of the
  draft in the mailbox, so every revision is found exactly once (0 for the first).
- ``followups.failure`` / ``followups.failure_fingerprint``: why a follow-up failed
  (``template``, ``config``, ``item``) and the fingerprint of the templates and config at that
  time: a failure of the first two is retried once the fingerprint changes.

Nullable columns, and one with a default; every row is kept as it is.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 15:45:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# (table, column, type, server default)
ADDED: list[tuple[str, str, sa.types.TypeEngine, str | None]] = [
    ("interviews", "notified_at", sa.DateTime(timezone=True), None),
    ("interviewers", "title", sa.Text(), None),
    ("followups", "draft_text", sa.Text(), None),
    ("followups", "revision", sa.Integer(), "0"),
    ("followups", "failure", sa.String(20), None),
    ("followups", "failure_fingerprint", sa.Text(), None),
]


def upgrade() -> None:
    for table, name, type_, default in ADDED:
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column(
                    name,
                    type_,
                    nullable=default is None,
                    server_default=sa.text(default) if default is not None else None,
                )
            )


def downgrade() -> None:
    for table, name, _type, _default in reversed(ADDED):
        with op.batch_alter_table(table) as batch:
            batch.drop_column(name)
