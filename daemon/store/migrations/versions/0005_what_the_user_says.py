"""What the user tells followupd about one interview, and what they sent about it themselves.

- ``interviews.language``: the draft language for this interview (``followupd note ID
  --language de``), overriding the account's ``language``.
- ``interviews.fit``: the user's own sentence on how their experience fits this role
  (``followupd note ID --fit "..."``), preferred to ``[candidate].highlights``.
- ``interviews.company_override`` / ``interviews.role_override``: the user's correction of the
  detected company and role; detection keeps writing ``company``/``role`` on every poll, the
  override wins where it is set.
- ``interviews.own_message``: a message the user wrote and sent about this interview in any
  mail client (found in Sent), which a status inquiry replies to when no thank-you of ours was
  sent.

Only nullable columns are added; every row is kept as it is.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 13:10:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# (table, column, type): all nullable
ADDED: list[tuple[str, str, sa.types.TypeEngine]] = [
    ("interviews", "language", sa.Text()),
    ("interviews", "fit", sa.Text()),
    ("interviews", "company_override", sa.Text()),
    ("interviews", "role_override", sa.Text()),
    ("interviews", "own_message", sa.JSON()),
]


def upgrade() -> None:
    for table, name, type_ in ADDED:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    for table, name, _type in reversed(ADDED):
        with op.batch_alter_table(table) as batch:
            batch.drop_column(name)
