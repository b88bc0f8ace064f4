"""A private copy of the state, for ``run --once --dry-run``: the real code runs against it, and
it is thrown away, so nothing the run records reaches the real state.

Why a copy, and not the real database in a transaction that is rolled back: the dry run must
work while the service runs, and must not slow it down. On SQLite one write transaction locks
the whole file, and a dry run holds it for as long as its providers take to answer (seconds on
Google or Microsoft): the service's own round would wait for it, and after the 10 s busy
timeout fail. On PostgreSQL the rolled-back transaction holds row locks for as long, and the
service's unit meeting them waits, or is picked as a deadlock's victim and fails. A copy is
read in one short snapshot (SQLite's backup API; a REPEATABLE READ, READ ONLY transaction on
PostgreSQL) and locks nothing after that, whatever the providers do. States are small (one
person's interviews), so the copy costs milliseconds.

The account folders (``accounts/<name>``: tokens, the connectors' records of their drafts,
caches) are copied too: connectors update their records while they read (a Maildir remembers
how its drafts look now, a Google token is refreshed), and a dry run writes nothing in the
state folder either. A renamed account, taken over at the start of every run, is moved in the
copy only. The copy lives in the user's runtime directory when there is one (a tmpfs, owner
only, emptied at logout: the tokens in it do not outlive the session even if the run is
killed), else in the system's temporary folder, in a 0700 folder.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from daemon.config import Config
from daemon.errors import FollowupdError
from daemon.store import database
from daemon.store.database import HEAD_REVISION, StoreError

DB_NAME = "state.db"


@contextlib.contextmanager
def snapshot(config: Config) -> Iterator[Config]:
    """``config`` pointed at a private copy of its state (database and account folders),
    deleted on exit. Raises :class:`StoreError` when the state cannot be read, and
    :class:`SnapshotError` when the copy cannot be made."""
    where = _scratch() or tempfile.gettempdir()
    try:
        scratch = tempfile.TemporaryDirectory(prefix="followupd-dry-run-", dir=where)
    except OSError as err:
        raise SnapshotError(
            f"cannot make a folder in {where} for the dry run's copy of the state "
            f"({err.strerror}); {FIX}"
        ) from None
    with scratch as name:
        folder = Path(name)
        target = folder / DB_NAME
        try:
            copy_database(config.daemon.database, target)
            _copy_accounts(config.daemon.state_dir / "accounts", folder / "accounts")
        except (OSError, shutil.Error) as err:
            why = err.strerror if isinstance(err, OSError) and err.strerror else err
            raise SnapshotError(
                f"cannot copy the state ({config.daemon.state_dir}) into {folder} for the dry "
                f"run ({why}); {FIX}"
            ) from None
        daemon = dataclasses.replace(
            config.daemon, state_dir=folder, database=f"sqlite:///{target}"
        )
        yield dataclasses.replace(config, daemon=daemon)


class SnapshotError(FollowupdError):
    """The dry run's private copy of the state cannot be made (no room, no permission)."""


FIX = (
    "expected a folder this user may write to, with room for a copy of the state: point "
    "XDG_RUNTIME_DIR (or, without it, TMPDIR) at one"
)


def _scratch() -> str | None:
    """The user's runtime directory (see the module's docstring), else the default."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isabs(runtime) and os.access(runtime, os.W_OK | os.X_OK):
        return runtime
    return None


def copy_database(url: str, target: Path) -> None:
    """Copy the database named by ``url`` into the SQLite file ``target``, without writing to
    it (a database that does not exist yet stays so: the copy starts empty)."""
    try:
        parsed = make_url(url)
    except ArgumentError as err:
        raise StoreError(f"database URL {url!r}: expected an SQLAlchemy URL") from err
    os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    if parsed.get_backend_name() == "sqlite":
        _copy_sqlite(parsed, target)
        _refuse_what_run_refuses(parsed, target)
    else:
        _copy_rows(parsed, target)


def _copy_sqlite(url: URL, target: Path) -> None:
    """SQLite's online backup, from a read-only connection: one consistent snapshot, taken
    while the service may be writing (WAL lets it), and never a write to the original."""
    name = url.database
    if not name or name == ":memory:" or url.query.get("uri"):
        return  # nothing that outlives a process (or a URI form this does not parse): empty
    source_path = Path(name)
    if not source_path.exists():
        return
    where = database.describe(url)
    if _copied_at_rest(source_path, target):
        return
    timeout = float(url.query.get("timeout", database.BUSY_TIMEOUT))  # type: ignore[arg-type]
    try:
        source = sqlite3.connect(
            f"{source_path.absolute().as_uri()}?mode=ro", uri=True, timeout=timeout
        )
    except sqlite3.Error as err:
        raise StoreError(database.explain(where, err, timeout)) from None
    try:
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:
            copy.close()
    except sqlite3.Error as err:
        if shutil.disk_usage(target.parent).free < database.FULL_BELOW:  # the copy's disk
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)) from None
        raise StoreError(database.explain(where, err, timeout)) from None
    finally:
        source.close()


def _refuse_what_run_refuses(url: URL, target: Path) -> None:
    """A state a real run refuses untouched (written by a newer followupd, or another
    program's database) is refused here too, and named as the state, not as its copy. An
    older schema is upgraded in the copy only."""
    copy = database.open_engine(f"sqlite:///{target}")
    try:
        if database.current_revisions(copy) != (HEAD_REVISION,):
            database.check_schema(copy)
    except StoreError as err:
        where = database.describe(make_url(f"sqlite:///{target}"))
        raise StoreError(str(err).replace(where, database.describe(url))) from None
    finally:
        copy.dispose()


def _copied_at_rest(source: Path, target: Path) -> bool:
    """Copy the file as it is when nobody has it open (no ``-wal`` beside it: SQLite makes
    one with the first connection and removes it with the last), and it did not change while
    it was copied. Even a read-only connection would leave ``-wal`` and ``-shm`` side files
    behind here; when this cannot be sure (the service runs), the backup API is used."""
    wal = source.with_name(source.name + "-wal")

    def seen() -> tuple[int, int, int] | None:
        if wal.exists():
            return None
        st = source.stat()
        return (st.st_ino, st.st_size, st.st_mtime_ns)

    try:
        before = seen()
    except OSError:
        return False  # the backup API then names what is wrong
    if before is None:
        return False
    shutil.copyfile(source, target)  # a failure is the copy's (SnapshotError), not the state's
    return seen() == before


def _copy_rows(url: URL, target: Path) -> None:
    """Any other database (PostgreSQL): its rows, table by table in one read-only snapshot,
    into an SQLite file made at the same schema. Only a schema at this version's head is
    copied: upgrading it is a write, which a dry run never makes."""
    from daemon.store.models import Base

    live = database.open_engine(url.render_as_string(hide_password=False))
    try:
        revisions = database.current_revisions(live)
        if revisions != (HEAD_REVISION,):
            database.check_schema(live)  # newer, or another program's: says so
            if revisions is None:
                return  # never used: an empty state
            raise StoreError(
                f"{database.describe(url)}: its schema is older than this followupd's "
                f"({', '.join(revisions)}, expected {HEAD_REVISION}) and a dry run does not "
                "upgrade it; restart the service (or run 'followupd status' once), then try again"
            )
        copy = database.open_engine(f"sqlite:///{target}")
        database.migrate(copy)
        options = {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
        with live.connect().execution_options(**options) as source, copy.begin() as into:
            for table in Base.metadata.sorted_tables:
                rows = source.execute(select(table)).mappings().all()
                if rows:
                    into.execute(insert(table), [dict(row) for row in rows])
        copy.dispose()
    finally:
        live.dispose()


def _copy_accounts(source: Path, target: Path) -> None:
    """The account folders, modes kept (tokens stay 0600); none yet is none in the copy. A
    symbolic link is copied as the file it points to: written through, it would reach the
    real one."""
    if source.is_dir():
        shutil.copytree(source, target, ignore_dangling_symlinks=True)
    else:
        target.mkdir(mode=0o700)
