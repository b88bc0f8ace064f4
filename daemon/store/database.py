"""Open the database named by the config, bring its schema up to date, explain its failures.

SQLite (the default) runs in WAL mode with foreign keys on and a busy timeout, so a reader such
as ``followupd status`` never blocks the daemon and never sees a half-written transaction.
Every session transaction is a real SQLite transaction (``BEGIN`` ... ``COMMIT``): the sqlite3
module would otherwise start one only at the first write, so a savepoint opened after reads
became the outer transaction and its release committed work the caller meant to roll back.
The busy timeout is 10 s; ``?timeout=SECONDS`` in the URL changes it.

The schema is owned by Alembic from the first release and upgraded automatically at start; a
database written by a newer followupd, or by some other program, is refused untouched. Alembic
itself (a tenth of a second to import) is loaded only when the schema is not at
:data:`HEAD_REVISION`: a start on a current database reads ``alembic_version`` and goes on, and
a new SQLite file is given the head schema from :mod:`.snapshot`.

Any failure of the database itself (locked, disk full, damaged file, server gone) surfaces as
one :class:`StoreError` naming the file (or server) and what is wrong, raised from SQLAlchemy's
``handle_error`` hook so that every query and commit anywhere is covered. Callers never see a
driver exception and a failed transaction is rolled back whole: nothing recorded is lost.
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
import sqlite3
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import URL, ExceptionContext, make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from daemon import __version__, faults
from daemon.errors import FollowupdError
from daemon.paths import private_dir
from daemon.worlderrors import fix_for

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")
# The newest revision in migrations/versions: a database at this revision is opened without
# Alembic. Adding a migration means updating it and writing sqlite-schema.sql anew with
# `python3 -m daemon.store.snapshot` (tests/test_migrations.py fails until both are done).
HEAD_REVISION = "0008"


class StoreError(FollowupdError):
    """The state database cannot be opened, read or written."""


BUSY_TIMEOUT = 10.0  # seconds a writer waits for another one before giving up
# SQLite's page cache per connection, in KiB (its default: 2,000). The pool keeps a connection
# per worker thread (64 for a thousand accounts), and each one's cache filled up as the cycle
# read other accounts' pages: 100 MB of copies of one file, thrown away anyway by the next
# commit (a reader's cache is dropped whenever the database changed). The operating system
# caches the file once for all of them.
CACHE_KIB = 256
# Prepared statements each SQLite connection keeps (Python's default: 128). Most of a cycle's
# statements are never run again: an IN list or an insert of many rows is a new statement for
# each length, and one of forty rows holds some 130 KB. At 64 connections the default kept
# 20 MB of them for 100 accounts; 16 keeps the few a poll repeats (no CPU cost measurable).
STATEMENT_CACHE = 16
# Below this much free space an I/O error of SQLite is a full disk (SQLite reports a failed
# write as SQLITE_FULL, but a failed -shm or -wal creation as a plain SQLITE_IOERR).
FULL_BELOW = 1 << 20

# SQLite's primary result codes (sqlite3.h) and what each means for the user.
_SQLITE_HINTS = {
    3: "cannot open {where}: permission denied ({detail}); check the owner and mode of the file "
    "and its folder",
    5: "{where} is locked: another program has held it for more than {timeout:g} s ({detail}); "
    "nothing was written and nothing recorded was lost; try again when that program is done",
    8: "cannot write {where}: it is read-only ({detail}); check the owner and mode of the file "
    "and its folder; nothing recorded was lost",
    10: "cannot read or write {where}: the disk reported an error ({detail}); nothing recorded "
    "was lost",
    11: "{where} is damaged or is not a followupd state file ({detail}); restore it from a "
    "backup, or move it aside to start over with an empty state",
    13: "cannot write {where}: the disk is full ({detail}); nothing recorded was lost: free some "
    "space and followupd carries on where it stopped",
    14: "cannot open {where} ({detail}); check that its folder exists and is writable",
}
_SQLITE_HINTS[6] = _SQLITE_HINTS[5]  # SQLITE_LOCKED
_SQLITE_HINTS[26] = _SQLITE_HINTS[11]  # SQLITE_NOTADB
# SQLITE_BUSY_SNAPSHOT: another process wrote between this transaction's first read and its
# first write (WAL cannot let a writer start from an outdated snapshot); no waiting helps.
_SNAPSHOT_HINT = (
    "{where} was changed by another program (another followupd command?) while this one was "
    "working ({detail}); nothing was written and nothing recorded was lost; the work is done "
    "again at the next run"
)


def describe(url: URL) -> str:
    """How messages name the database: the file for SQLite, the URL without password otherwise."""
    if url.get_backend_name() == "sqlite":
        name = url.database or ":memory:"
        return f"state database {name}" if name == ":memory:" else f"state database file {name}"
    return f"database {url.render_as_string(hide_password=True)}"


def explain(
    where: str,
    err: BaseException,
    timeout: float = BUSY_TIMEOUT,
    *,
    folder: Path | None = None,
    connecting: bool = False,
    disconnected: bool = False,
) -> str:
    """One line saying what is wrong with the database, from a driver exception."""
    detail = (str(err).strip().splitlines() or [type(err).__name__])[0]
    if isinstance(err, sqlite3.Error):
        full = getattr(err, "sqlite_errorcode", None) or 0
        code = full & 0xFF
        if full == 517:
            return _SNAPSHOT_HINT.format(where=where, detail=f"SQLite: {detail}")
        if code == 10 and folder is not None and _free_space(folder) < FULL_BELOW:
            code = 13
        if code in (8, 10, 14) and folder is not None and _read_only(folder):
            # A read-only mount (under systemd: the sandbox) says what to change, once.
            fix = fix_for(OSError(errno.EROFS, os.strerror(errno.EROFS)), folder, folder)
            return f"cannot write {where}: read-only file system (SQLite: {detail}); {fix}"
        hint = _SQLITE_HINTS.get(code, "{where}: {detail}")
        return hint.format(where=where, detail=f"SQLite: {detail}", timeout=timeout)
    if connecting:
        return f"cannot connect to {where} ({detail})"
    if disconnected:
        return f"lost the connection to {where} ({detail})"
    if getattr(err, "sqlstate", None) == "53100":  # PostgreSQL disk_full
        return (
            f"cannot write {where}: the server's disk is full ({detail}); nothing recorded was lost"
        )
    return f"{where}: {detail}"


def _read_only(folder: Path) -> bool:
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def _free_space(folder: Path) -> int:
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return FULL_BELOW


def _into_wal(cursor: sqlite3.Cursor, timeout: float) -> str:
    """Switch a connection's file to WAL; returns the journal mode SQLite settled on.

    The switch of a new file needs it to itself, and SQLite answers "locked" at once rather
    than waiting: two programs opening a new state at the same moment (``run`` and ``status``
    on a first start) must not fail for that. So it is tried again until the busy timeout."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            (mode,) = cursor.execute("PRAGMA journal_mode=WAL").fetchone()
            return str(mode)
        except sqlite3.OperationalError as err:
            busy = getattr(err, "sqlite_errorcode", None) == sqlite3.SQLITE_BUSY
            if not busy or time.monotonic() >= deadline:
                raise
            time.sleep(0.01)


def _sqlite_pragmas(timeout: float) -> Any:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Transactions are begun by us (see _sqlite_begin), not by the sqlite3 module.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
        mode = _into_wal(cursor, timeout)
        if mode.lower() not in ("wal", "memory"):
            log.warning("SQLite refused WAL mode (journal_mode is %s); readers may wait", mode)
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
        cursor.close()

    return on_connect


def _sqlite_begin(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN")


def _raise_store_error(where: str, timeout: float, folder: Path | None) -> Any:
    """A ``handle_error`` hook: a failure of the database itself becomes a StoreError.

    Only operational failures are turned (locked, full, damaged, unreachable); integrity and
    programming errors stay what they are, since they are bugs to be seen with their traceback.
    The pool's liveness ping is left alone so that it can replace a dead connection quietly.
    """

    def hook(ctx: ExceptionContext) -> None:
        if ctx.is_pre_ping or type(ctx.sqlalchemy_exception) not in (
            OperationalError,
            DatabaseError,
        ):
            return
        raise StoreError(
            explain(
                where,
                ctx.original_exception,
                timeout,
                folder=folder,
                connecting=ctx.connection is None,
                disconnected=ctx.is_disconnect,
            )
        )

    return hook


# The pip package that provides a missing driver module, for the message that names it.
DRIVER_PACKAGES = {
    "MySQLdb": "mysqlclient",
    "pymysql": "PyMySQL",
    "psycopg2": "psycopg2-binary",
    "psycopg": "'followupd[postgres]'",
    "asyncpg": "asyncpg",
    "pg8000": "pg8000",
    "mariadb": "mariadb",
    "oracledb": "oracledb",
    "pyodbc": "pyodbc",
}
SUPPORTED_URLS = (
    "sqlite:////path/state.db (built in) or postgresql+psycopg://user@host/db "
    "(python3 -m pip install 'followupd[postgres]')"
)


def _create_engine(url: URL, **kwargs: Any) -> Engine:
    """SQLAlchemy's create_engine, with a missing or unknown driver said as the setting to fix.

    SQLAlchemy imports the driver module here: a URL for a database whose driver is not
    installed would otherwise surface as a ModuleNotFoundError from deep inside SQLAlchemy.
    """
    where = f"{describe(url)} ([daemon].database)"
    try:
        return create_engine(url, **kwargs)
    except NoSuchModuleError:
        raise StoreError(
            f"{where}: unknown kind of database {url.drivername!r}; expected {SUPPORTED_URLS}"
        ) from None
    except ImportError as err:
        module = (err.name or "").split(".")[0]
        package = DRIVER_PACKAGES.get(module, module or "the driver")
        raise StoreError(
            f"{where}: its driver is not installed (no module {module!r}); install it with "
            f"python3 -m pip install {package}, or use {SUPPORTED_URLS}"
        ) from None


def _create_private(path: Path) -> None:
    """Create an SQLite file owner-only: SQLite gives its -wal and -shm files the same mode."""
    try:
        private_dir(path.parent)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    except OSError as err:
        raise StoreError(
            f"cannot create state database file {path}: {err.strerror} ({err.filename})"
        ) from err


def open_engine(url: str, pool_size: int = 5) -> Engine:
    """The engine for ``url``. ``pool_size``: connections kept open, one per thread that may use
    the database at once (the engine's workers, plus the service's own threads)."""
    try:
        parsed = make_url(url)
    except ArgumentError as err:
        raise StoreError(f"database URL {url!r}: expected an SQLAlchemy URL") from err
    kwargs: dict[str, Any] = {}
    sqlite = parsed.get_backend_name() == "sqlite"
    timeout = BUSY_TIMEOUT
    folder = None  # of an SQLite file: where free space is looked at when a write fails
    if sqlite:
        try:
            timeout = float(parsed.query.get("timeout", BUSY_TIMEOUT))  # type: ignore[arg-type]
        except ValueError:
            raise StoreError(
                f"database URL {url!r}: timeout: expected a number of seconds"
            ) from None
        if parsed.database and parsed.database != ":memory:" and not parsed.query.get("uri"):
            path = Path(parsed.database)
            folder = path.parent
            if not path.exists():
                _create_private(path)
        kwargs["connect_args"] = {"timeout": timeout, "cached_statements": STATEMENT_CACHE}
    else:
        kwargs["pool_pre_ping"] = True
        if parsed.get_backend_name() == "postgresql" and "connect_timeout" not in parsed.query:
            kwargs["connect_args"] = {"connect_timeout": 10}  # a silent host must not hang a poll
    if not (sqlite and (parsed.database or ":memory:") == ":memory:"):
        kwargs["pool_size"] = pool_size
        kwargs["max_overflow"] = 4
    engine = _create_engine(parsed, **kwargs)
    event.listen(engine, "handle_error", _raise_store_error(describe(parsed), timeout, folder))
    if sqlite:
        event.listen(engine, "connect", _sqlite_pragmas(timeout))
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def alembic_config(engine: Engine) -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def migrate(engine: Engine, revision: str = "head") -> None:
    """Apply pending migrations (a no-op when the schema is current), all in one transaction."""
    from alembic import command
    from alembic.util import CommandError

    try:
        command.upgrade(alembic_config(engine), revision)
    except CommandError as err:
        raise StoreError(f"{describe(engine.url)}: cannot upgrade the schema: {err}") from err
    except (OperationalError, DatabaseError, sqlite3.DatabaseError) as err:
        raise StoreError(
            f"{describe(engine.url)}: cannot upgrade the schema: {_short(err)}"
        ) from err


def check_schema(engine: Engine) -> None:
    """Refuse a database this followupd must not touch: one a newer version wrote (its schema
    may mean something this code does not know), or one that belongs to another program."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config(engine))
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_heads()
        tables = set(inspect(conn).get_table_names())
    known = {rev.revision for rev in script.walk_revisions()}
    newer = sorted(set(current) - known)
    where = describe(engine.url)
    if newer:
        raise StoreError(
            f"{where}: this state was written by a newer followupd (schema revision "
            f"{', '.join(newer)}; followupd {__version__} knows revisions up to "
            f"{script.get_current_head()}). Upgrade followupd to use it; it was not changed"
        )
    if tables and "alembic_version" not in tables:
        shown = ", ".join(sorted(tables)[:5]) + (", ..." if len(tables) > 5 else "")
        raise StoreError(
            f"{where} is not a followupd state database: it holds tables of another program "
            f"({shown}) and no followupd schema version. Point [daemon].database at a new or "
            "empty database; this one was not changed"
        )


def current_revisions(engine: Engine) -> tuple[str, ...] | None:
    """What ``alembic_version`` says, read without Alembic; None when there is no such table."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return tuple(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())


def open_store(url: str, pool_size: int = 5) -> sessionmaker[Session]:
    """Open, check, migrate and return a session factory. Raises :class:`StoreError`."""
    engine = open_engine(url, pool_size)
    revisions = current_revisions(engine)
    if revisions != (HEAD_REVISION,) and not (revisions is None and _from_snapshot(engine)):
        check_schema(engine)  # behind, newer, not ours, or new where no snapshot serves
        migrate(engine)
    factory = sessionmaker(engine, expire_on_commit=False)
    if faults.active():  # crash-safety tests only (FOLLOWUPD_FAULTS); see daemon/faults.py
        faults.watch_sessions(factory)
    return factory


def _from_snapshot(engine: Engine) -> bool:
    """A new SQLite file gets the head schema without Alembic (:mod:`.snapshot`).

    Should that fail (a full disk, a lock held too long), the migrations try the same and
    explain the failure as every other write does."""
    from daemon.store import snapshot

    try:
        return snapshot.create(engine, HEAD_REVISION)
    except sqlite3.Error as err:
        log.debug("%s: the schema snapshot failed (%s); migrating", describe(engine.url), err)
        return False


def _short(err: Exception) -> str:
    orig = getattr(err, "orig", None)
    return str(orig or err).splitlines()[0]
