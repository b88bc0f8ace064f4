"""Text, not VARCHAR(n), for the values that come from a provider or an invitation.

PostgreSQL refuses a value longer than its VARCHAR(n) (SQLite ignores the length). Provider ids
(Gmail, Graph and ICS identifiers), Message-IDs, the names in an invitation and what the title
says about company and role have no length a stranger must respect, so one long value failed
the whole calendar sync or draft check of its account on every poll. On PostgreSQL ``text`` and
``varchar(n)`` are stored alike; only the check goes.

Columns under a unique constraint keep a bound, since an index entry is limited (about 2.7 kB
on PostgreSQL), and are checked before they are written: ``interviews.event_id`` goes from
1000 to 2000 characters (Google allows 1024 for an id, and an instance id adds a suffix) and the
planner skips an event whose id is longer; detection ignores addresses longer than an address
can be. ``processes.company_key``, derived from the company or the event id, is bounded by them.

Rows are not touched: every value that fitted before fits now. SQLite changes a column type
only by copying the table (Alembic's batch mode); the copy keeps every row and id.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 10:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# table -> (column, old length, nullable)
WIDENED: dict[str, list[tuple[str, int, bool]]] = {
    "processes": [("company_key", 200, False), ("company", 200, True)],
    "interviews": [
        ("series_id", 1000, True),
        ("calendar", 300, False),
        ("company", 200, True),
        ("role", 300, True),
        ("timezone", 100, True),
        ("organizer", 320, True),
        ("main_contact", 320, True),
    ],
    "interviewers": [("name", 300, True)],
    "followups": [
        ("draft_id", 500, True),
        ("thread_id", 500, True),
        ("message_id", 1000, True),
        ("sent_message_id", 1000, True),
        ("sent_provider_id", 500, True),
    ],
}


EVENT_ID = ("interviews", "event_id", 1000, 2000)


def _changes() -> dict[str, list[tuple[str, sa.types.TypeEngine, sa.types.TypeEngine, bool]]]:
    """table -> (column, type before, type after, nullable), for both directions to walk."""
    changes = {
        table: [(name, sa.String(length), sa.Text(), nullable) for name, length, nullable in cols]
        for table, cols in WIDENED.items()
    }
    table, name, before, after = EVENT_ID
    changes[table].append((name, sa.String(before), sa.String(after), False))
    return changes


def _alter(upgrading: bool) -> None:
    changes = _changes()
    for table in changes if upgrading else reversed(changes):
        with op.batch_alter_table(table) as batch:
            for name, before, after, nullable in changes[table]:
                old, new = (before, after) if upgrading else (after, before)
                batch.alter_column(name, existing_type=old, type_=new, existing_nullable=nullable)


def upgrade() -> None:
    _alter(upgrading=True)


def downgrade() -> None:
    """Back to the old lengths; fails (changing nothing) if a longer value was stored since."""
    _alter(upgrading=False)
