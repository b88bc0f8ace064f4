"""Alembic environment: runs against the engine the daemon hands over (never a URL in a file).

All pending migrations run in one transaction. On SQLite a column type can only be changed by
copying the table (Alembic's batch mode), and dropping the old copy of a table other tables
point at fails while foreign keys are enforced, even with the check deferred. So enforcement is
switched off for the migration (possible only outside a transaction), the whole database is
checked with ``PRAGMA foreign_key_check`` before the commit, and enforcement is switched back on
before the connection goes back to the pool. On PostgreSQL an advisory lock keeps instances
that start together from migrating at the same time.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from daemon.store.models import Base


class ForeignKeyViolation(RuntimeError):
    """A migration left rows pointing at nothing; the transaction is rolled back."""


def _sqlite_foreign_keys(connection: Connection, on: bool) -> None:
    # The DBAPI connection runs in autocommit (daemon/store/database.py begins transactions
    # itself), so this PRAGMA takes effect; inside a transaction it would be ignored.
    dbapi = connection.connection.driver_connection
    assert dbapi is not None
    dbapi.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


# Any 64-bit number of our own: the advisory lock that lets one instance migrate at a time.
MIGRATION_LOCK = 0x666F6C6C6F777570  # "followup"


def run(connection: Connection) -> None:
    with connection.begin():
        if connection.dialect.name == "postgresql":
            # Several instances starting at once on one new database would all create the same
            # tables (and fail on PostgreSQL's catalog); the others wait here, then find the
            # schema current and do nothing. Released with the transaction.
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        context.run_migrations()
        if connection.dialect.name == "sqlite":
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
            if broken:
                raise ForeignKeyViolation(f"the migration broke foreign keys: {broken[:5]}")


engine = context.config.attributes["engine"]
with engine.connect() as connection:
    if connection.dialect.name == "sqlite":
        _sqlite_foreign_keys(connection, False)
        try:
            run(connection)
        finally:
            _sqlite_foreign_keys(connection, True)
    else:
        run(connection)
