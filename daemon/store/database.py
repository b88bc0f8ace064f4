"""Open the database named by the config and bring its schema up to date.

SQLite (the default) runs in WAL mode with foreign keys on and a busy timeout, so a reader such
as ``followupd status`` never blocks the daemon and never sees a half-written transaction.
The schema is owned by Alembic from the first release and upgraded automatically at start.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from daemon.errors import FollowupdError
from daemon.paths import private_dir

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")


class StoreError(FollowupdError):
    """The state database cannot be opened, read or written."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def open_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError as err:
        raise StoreError(f"database URL {url!r}: expected an SQLAlchemy URL") from err
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            private_dir(Path(parsed.database).parent)
        # The daemon uses one worker thread, `status` another process: no pooling tricks needed.
        kwargs["connect_args"] = {"timeout": 10}
    else:
        kwargs["pool_pre_ping"] = True
    engine = create_engine(parsed, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def alembic_config(engine: Engine) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def migrate(engine: Engine, revision: str = "head") -> None:
    """Apply pending migrations (a no-op when the schema is current)."""
    try:
        command.upgrade(alembic_config(engine), revision)
    except (OperationalError, DatabaseError, sqlite3.DatabaseError) as err:
        raise StoreError(
            f"database {engine.url.render_as_string()}: cannot upgrade schema: {_short(err)}"
        ) from err


def open_store(url: str) -> sessionmaker[Session]:
    """Open, migrate and return a session factory. Raises :class:`StoreError` with the cause."""
    engine = open_engine(url)
    try:
        with engine.connect() as conn:
            inspect(conn).get_table_names()
    except (OperationalError, DatabaseError) as err:
        raise StoreError(f"database {_safe_url(url)}: cannot open: {_short(err)}") from err
    migrate(engine)
    return sessionmaker(engine, expire_on_commit=False)


def _safe_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<invalid URL>"


def _short(err: Exception) -> str:
    orig = getattr(err, "orig", None)
    return str(orig or err).splitlines()[0]
