"""When the state database fails, the user reads what is wrong with which file, and loses nothing.

Each failure is produced for real: another connection holding SQLite's write lock, SQLite's own
page limit (``PRAGMA max_page_count``, which fails writes with SQLITE_FULL exactly as a full
disk does) and, where the machine lets us mount one, a genuinely full tmpfs; files damaged the
ways files get damaged; a PostgreSQL server that cannot be reached or vanishes in the middle of
a poll (a TCP relay between the daemon and the server, cut on cue). The commands are the real
CLI (``status`` and ``run --once`` in-process, ``run`` as a subprocess): each must print one
clear line naming the database, exit non-zero, never show a traceback, leave what was recorded
before intact, and work again once the cause is gone. ``run`` must log and keep serving.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine, MetaData, event, text
from sqlalchemy.engine import make_url

from daemon.cli import main
from daemon.store.database import CACHE_KIB, StoreError, explain, open_store
from tests.harness import Event, Person, World

ROOT = Path(__file__).resolve().parent.parent
START = datetime(2026, 1, 14, 9, 0, tzinfo=UTC)
JANE = Person("Jane Smith", "jane@acme.example")
RAJ = Person("Raj Patel", "raj@acme.example")
ACME = Event("acme-1", START, 60, "Interview: Acme (Backend Engineer)", [JANE, RAJ])
TABLES = ("processes", "interviews", "interviewers", "followups", "transitions", "sync_cursors")
DAMAGED = (
    "is damaged or is not a followupd state file (SQLite: {detail}); restore it from a backup, "
    "or move it aside to start over with an empty state"
)
LOCKED = (
    "is locked: another program has held it for more than 0.2 s (SQLite: database is locked); "
    "nothing was written and nothing recorded was lost; try again when that program is done"
)
FULL = (
    "the disk is full (SQLite: {detail}); nothing recorded was lost: free some space and "
    "followupd carries on where it stopped"
)


def at(hours: float) -> str:
    return (START + timedelta(hours=hours)).isoformat()


def cli(config: Path, *args: str, code: int = 0) -> Result:
    """The real command line, in-process; never a traceback, whatever happens."""
    result = CliRunner(env={"COLUMNS": "1000"}).invoke(main, ["--config", str(config), *args])
    assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    return result


def error_line(config: Path, *args: str) -> str:
    """The one line a failing command ends with."""
    return cli(config, *args, code=1).stderr.splitlines()[-1]


def dump(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    meta = MetaData()
    with engine.connect() as conn:
        meta.reflect(conn, only=TABLES)
        return {
            name: [
                tuple(row)
                for row in conn.execute(
                    meta.tables[name].select().order_by(*meta.tables[name].primary_key.columns)
                )
            ]
            for name in TABLES
        }


def sqlite_world(tmp_path: Path, query: str = "") -> tuple[World, Path]:
    """A World on SQLite whose interview is planned (nothing drafted yet), state on disk."""
    db = tmp_path / "state" / "state.db"
    world = World(tmp_path, f"sqlite:///{db}{query}")
    world.add(ACME)
    world.tick(START + timedelta(hours=1, minutes=30))  # planned; due at 11:00 UTC
    world.engine.sessions.kw["bind"].dispose()  # checkpoint: everything is in the main file
    return world, db


def more_interviews(world: World, count: int) -> None:
    for n in range(count):
        world.add(
            Event(
                f"more-{n}",
                START + timedelta(days=1, hours=n),
                60,
                f"Interview: Company {n} (Engineer)",
                [Person(f"Person {n}", f"person{n}@company{n}.example")],
                description="what we talked about " * 20,
            )
        )


# --------------------------------------------------------------------------------------------
# SQLite: mode, transactions, file permissions
# --------------------------------------------------------------------------------------------


def test_sqlite_runs_in_wal_mode_with_real_transactions(tmp_path: Path) -> None:
    old = os.umask(0)  # the most permissive umask: the file must still be owner-only
    try:
        sessions = open_store(f"sqlite:///{tmp_path / 'new' / 'state.db'}?timeout=2.5")
    finally:
        os.umask(old)
    with sessions() as session:
        pragma = lambda name: session.execute(text(f"PRAGMA {name}")).scalar()  # noqa: E731
        assert pragma("journal_mode") == "wal"
        assert pragma("foreign_keys") == 1
        assert pragma("busy_timeout") == 2500
        assert pragma("synchronous") == 1  # NORMAL: durable at every checkpoint, fast in WAL
        # A small page cache per pooled connection: 64 of SQLite's default 2 MB copies of
        # one file were a third of a thousand-account service's memory (issue 14).
        assert pragma("cache_size") == -CACHE_KIB and CACHE_KIB <= 512
        session.execute(text("CREATE TABLE t (x INTEGER)"))
        session.commit()
    for name in ("state.db", "state.db-wal", "state.db-shm"):
        assert stat.S_IMODE((tmp_path / "new" / name).stat().st_mode) == 0o600, name
    assert stat.S_IMODE((tmp_path / "new").stat().st_mode) == 0o700

    # A savepoint opened after reads only is part of the outer transaction: rolling the outer
    # one back undoes it. (The sqlite3 module alone would have committed it at RELEASE.)
    with sessions() as session:
        session.execute(text("SELECT count(*) FROM t")).scalar()
        with session.begin_nested():
            session.execute(text("INSERT INTO t VALUES (1)"))
        session.rollback()
    with sessions() as session:
        assert session.execute(text("SELECT count(*) FROM t")).scalar() == 0
        assert session.execute(text("SELECT count(*) FROM followups")).scalar() == 0


# --------------------------------------------------------------------------------------------
# SQLite: damaged files
# --------------------------------------------------------------------------------------------


def _garbage(db: Path) -> str:
    db.write_bytes(bytes(range(256)) * 64)
    return "file is not a database"


def _text(db: Path) -> str:
    db.write_text("These are my interview notes, not a database.\n" * 20)
    return "file is not a database"


def _truncated(db: Path) -> str:
    data = db.read_bytes()
    assert len(data) > 5 * 4096
    db.write_bytes(data[: 3 * 4096])  # a copy or a write that stopped early
    return "database disk image is malformed"


def _bad_page(db: Path) -> str:
    """One page in the middle, the root of the follow-ups table, overwritten."""
    with contextlib.closing(sqlite3.connect(db)) as conn:
        (root,) = conn.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = 'followups'"
        ).fetchone()
        (size,) = conn.execute("PRAGMA page_size").fetchone()
    with db.open("r+b") as fh:
        fh.seek((root - 1) * size)
        fh.write(b"\xde\xad\xbe\xef" * (size // 4))
    return "database disk image is malformed"


@pytest.mark.parametrize(
    "damage", [_garbage, _text, _truncated, _bad_page], ids=lambda f: f.__name__[1:]
)
def test_a_damaged_state_file_is_named_and_not_made_worse(
    tmp_path: Path, damage: Callable[[Path], str]
) -> None:
    world, db = sqlite_world(tmp_path)
    detail = damage(db)
    damaged = db.read_bytes()
    expected = f"followupd: state database file {db} " + DAMAGED.format(detail=detail)
    assert error_line(world.config_path, "status") == expected
    assert error_line(world.config_path, "run", "--once", "--now", at(2)) == expected
    if damage is not _bad_page:  # the file cannot even be opened: `run` stops at once
        assert error_line(world.config_path, "run") == expected
        assert db.read_bytes() == damaged
    assert world.drafts() == []  # nothing was drafted from a state that cannot be read


def test_an_empty_file_is_an_empty_state(tmp_path: Path) -> None:
    """A zero-byte file is what ``touch`` leaves: a valid, empty SQLite database."""
    world, db = sqlite_world(tmp_path)
    db.write_bytes(b"")
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    out = cli(world.config_path, "run", "--once", "--now", at(2)).stdout
    assert "drafted thank-you to Jane Smith (Acme)" in out


# --------------------------------------------------------------------------------------------
# SQLite: locked
# --------------------------------------------------------------------------------------------


@contextlib.contextmanager
def holding_lock(db: Path, exclusive: bool = False) -> Iterator[None]:
    """Another program writes to the database and does not let go (a stuck ``sqlite3`` shell,
    a backup tool). ``exclusive`` (locking_mode=EXCLUSIVE) keeps even readers out."""
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        if exclusive:
            conn.execute("PRAGMA locking_mode=EXCLUSIVE")
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("UPDATE accounts SET failures = failures")
        yield
    finally:
        conn.execute("ROLLBACK")
        conn.close()


def test_a_locked_database_is_named_and_nothing_is_lost(tmp_path: Path) -> None:
    world, db = sqlite_world(tmp_path, "?timeout=0.2")
    engine = world.engine.sessions.kw["bind"]
    before = dump(engine)
    engine.dispose()  # an exclusive lock needs every other connection closed
    expected = f"followupd: state database file {db} {LOCKED}"

    with holding_lock(db, exclusive=True):
        assert error_line(world.config_path, "status") == expected
        assert error_line(world.config_path, "run", "--once", "--now", at(2)) == expected
    with holding_lock(db):
        # WAL: a reader never waits for a writer.
        assert "Jane Smith" in cli(world.config_path, "status").stdout
        started = time.monotonic()
        assert error_line(world.config_path, "run", "--once", "--now", at(2)) == expected
        assert time.monotonic() - started < 5
    assert world.drafts() == []
    assert dump(engine) == before

    out = cli(
        world.config_path, "run", "--once", "--now", at(2)
    ).stdout  # the lock is gone: carry on
    assert "drafted thank-you to Jane Smith (Acme)" in out
    assert "drafted thank-you to Raj Patel (Acme)" in out
    assert len(world.drafts()) == 2


def sqlite_failure(action: Callable[[], Any]) -> sqlite3.Error:
    with pytest.raises(sqlite3.Error) as raised:
        action()
    return raised.value


def test_the_other_database_failures_say_what_to_check(tmp_path: Path) -> None:
    """Real errors of the drivers, each explained in words (root ignores file modes, so
    the read-only database is opened read-only rather than chmod-ed)."""
    db = tmp_path / "state.db"
    sqlite3.connect(db).close()
    where = f"state database file {db}"
    read_only = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    failure = sqlite_failure(lambda: read_only.execute("CREATE TABLE t (x)"))
    assert explain(where, failure) == (
        f"cannot write {where}: it is read-only (SQLite: attempt to write a readonly database); "
        "check the owner and mode of the file and its folder; nothing recorded was lost"
    )
    read_only.close()
    failure = sqlite_failure(lambda: sqlite3.connect(tmp_path / "gone" / "state.db"))
    assert explain(where, failure) == (
        f"cannot open {where} (SQLite: unable to open database file); check that its folder "
        "exists and is writable"
    )
    other = sqlite_failure(lambda: sqlite3.connect(db).execute("SELECT * FROM nowhere"))
    assert explain(where, other) == f"{where}: SQLite: no such table: nowhere"

    import psycopg

    server = "database postgresql+psycopg://followupd@db.example/followupd"
    full = psycopg.errors.DiskFull('could not extend file "base/16384/2619": No space left')
    assert explain(server, full) == (
        f"cannot write {server}: the server's disk is full (could not extend file "
        '"base/16384/2619": No space left); nothing recorded was lost'
    )

    with pytest.raises(StoreError) as raised:
        open_store("sqlite:////proc/followupd-test/state.db")
    assert str(raised.value) == (
        "cannot create state database file /proc/followupd-test/state.db: No such file or "
        "directory (/proc/followupd-test)"
    )
    with pytest.raises(StoreError) as raised:
        open_store(f"sqlite:///{db}?timeout=soon")
    assert str(raised.value) == (
        f"database URL 'sqlite:///{db}?timeout=soon': timeout: expected a number of seconds"
    )


def test_a_write_from_an_outdated_snapshot_is_refused_and_named(tmp_path: Path) -> None:
    """A transaction read, another process committed, then the transaction wants to write: in
    WAL mode it must not (it decided on old data), and no waiting helps."""
    db = tmp_path / "state.db"
    sessions = open_store(f"sqlite:///{db}")
    with sessions() as session:
        session.execute(text("INSERT INTO accounts (name, status, failures) VALUES ('a', 'ok', 0)"))
        session.commit()
    with sessions() as session:
        session.execute(text("SELECT * FROM accounts")).all()
        with contextlib.closing(sqlite3.connect(db, isolation_level=None)) as other:
            other.execute("UPDATE accounts SET failures = 1")  # `followupd note`, say
        with pytest.raises(StoreError) as raised:
            session.execute(text("UPDATE accounts SET status = 'error'"))
    assert str(raised.value) == (
        f"state database file {db} was changed by another program (another followupd command?) "
        "while this one was working (SQLite: database is locked); nothing was written and "
        "nothing recorded was lost; the work is done again at the next run"
    )
    with sessions() as session:
        assert session.execute(text("SELECT status, failures FROM accounts")).one() == ("ok", 1)


# --------------------------------------------------------------------------------------------
# SQLite: full
# --------------------------------------------------------------------------------------------


@contextlib.contextmanager
def page_limit(pages: int) -> Iterator[None]:
    """Every SQLite connection opened meanwhile may not grow its file beyond ``pages``: a write
    that needs one more page fails with SQLITE_FULL, the code SQLite returns on ENOSPC."""

    def limit(dbapi_connection: Any, _record: Any) -> None:
        if isinstance(dbapi_connection, sqlite3.Connection):
            dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

    event.listen(Engine, "connect", limit)
    try:
        yield
    finally:
        event.remove(Engine, "connect", limit)


def test_a_full_database_loses_nothing_and_carries_on_later(tmp_path: Path) -> None:
    world, db = sqlite_world(tmp_path)
    before = dump(world.engine.sessions.kw["bind"])
    with contextlib.closing(sqlite3.connect(db)) as conn:
        (pages,) = conn.execute("PRAGMA page_count").fetchone()
    more_interviews(world, 30)  # these need room the disk does not have
    expected = f"followupd: cannot write state database file {db}: " + FULL.format(
        detail="database or disk is full"
    )

    with page_limit(pages):
        assert "Jane Smith" in cli(world.config_path, "status").stdout
        assert error_line(world.config_path, "run", "--once", "--now", at(2)) == expected
        assert error_line(world.config_path, "run", "--once", "--now", at(3)) == expected
    assert world.drafts() == []
    assert dump(world.engine.sessions.kw["bind"]) == before

    out = cli(world.config_path, "run", "--once", "--now", at(3)).stdout  # space was freed
    assert "drafted thank-you to Jane Smith (Acme)" in out
    assert "planned: 60 follow-ups" in out
    assert len(world.drafts()) == 2
    after = dump(world.engine.sessions.kw["bind"])
    assert len(after["interviews"]) == 31
    assert after["interviews"][0][:3] == before["interviews"][0][:3]  # id, account, event id


def test_a_really_full_disk(tmp_path: Path) -> None:
    """The same on a real, small file system, when this machine lets us mount one."""
    mnt = tmp_path / "small-disk"
    mnt.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", str(mnt)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        db = mnt / "state.db"
        world = World(tmp_path / "home", f"sqlite:///{db}")
        world.add(ACME)
        world.tick(START + timedelta(hours=1, minutes=30))
        world.engine.sessions.kw["bind"].dispose()
        before = dump(world.engine.sessions.kw["bind"])
        world.engine.sessions.kw["bind"].dispose()
        filler = os.open(mnt / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
        with contextlib.suppress(OSError):  # ENOSPC: the disk is full now
            while True:
                os.write(filler, b"\0" * 65536)
        os.close(filler)
        more_interviews(world, 30)

        line = error_line(world.config_path, "run", "--once", "--now", at(2))
        prefix = f"followupd: cannot write state database file {db}: the disk is full (SQLite: "
        assert line.startswith(prefix), line
        assert line.endswith(FULL.split("}", 1)[1]), line
        assert world.drafts() == []

        (mnt / "filler").unlink()
        assert dump(world.engine.sessions.kw["bind"]) == before
        out = cli(world.config_path, "run", "--once", "--now", at(2)).stdout
        assert "drafted thank-you to Jane Smith (Acme)" in out
        assert len(world.drafts()) == 2
    finally:
        with contextlib.suppress(Exception):
            world.engine.sessions.kw["bind"].dispose()  # type: ignore[possibly-undefined]
        subprocess.run(["umount", "-l", str(mnt)], check=False)


# --------------------------------------------------------------------------------------------
# PostgreSQL: unreachable, and gone in the middle of a poll
# --------------------------------------------------------------------------------------------


class Relay:
    """A TCP relay between the daemon and PostgreSQL that the test cuts and restores.

    ``cut()`` drops every open connection and closes new ones at once: for the daemon the
    server has vanished. ``cut_on`` cuts when that byte string passes from the daemon to the
    server (the protocol carries SQL in clear), so a poll can be interrupted at a chosen step.
    """

    def __init__(self, host: str, port: int) -> None:
        self.upstream = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.down = False
        self.cut_on: bytes | None = None
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.down:
                client.close()
                continue
            try:
                server = socket.create_connection(self.upstream)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._open |= {client, server}
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()

    def _pump(self, client: socket.socket, server: socket.socket) -> None:
        other = {client: server, server: client}
        try:
            while True:
                ready, _, _ = select.select(list(other), [], [])
                for sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        return
                    if sock is client and self.cut_on and self.cut_on in data:
                        self.cut()
                        return
                    other[sock].sendall(data)
        except OSError:
            return
        finally:
            for sock in other:
                sock.close()
            with self._lock:
                self._open -= set(other)

    def cut(self) -> None:
        self.down = True
        with self._lock:
            for sock in list(self._open):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def restore(self) -> None:
        self.cut_on, self.down = None, False

    def close(self) -> None:
        self.cut()
        self.listener.close()


@pytest.fixture
def relay(db_url: str) -> Iterator[tuple[Relay, str]]:
    """A PostgreSQL test database behind a relay, and the URL that goes through it."""
    if not db_url.startswith("postgresql"):
        pytest.skip("a server that goes away is a PostgreSQL scenario")
    url = make_url(db_url)
    relay = Relay(url.host or "127.0.0.1", url.port or 5432)
    try:
        through = url.set(host="127.0.0.1", port=relay.port)
        yield relay, through.render_as_string(hide_password=False)
    finally:
        relay.close()


def closed_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as sock:
        return sock.getsockname()[1]


def test_an_unreachable_postgresql_is_named(tmp_path: Path) -> None:
    port = closed_port()
    config = tmp_path / "config.toml"
    url = f"postgresql+psycopg://followupd:s3cret-pw@127.0.0.1:{port}/followupd"
    config.write_text(
        f'[daemon]\ntimezone = "UTC"\nstate_dir = "state"\ndatabase = "{url}"\n'
        '[candidate]\nname = "Alex"\n[[accounts]]\nname = "home"\naddresses = ["a@example.org"]\n'
        'calendar = { provider = "ics", path = "cal" }\n'
        'mailbox = { provider = "maildir", path = "mail" }\n'
    )
    (tmp_path / "cal").mkdir()
    expected = (
        "followupd: cannot connect to database "
        f"postgresql+psycopg://followupd:[REDACTED]@127.0.0.1:{port}"
        f'/followupd (connection failed: connection to server at "127.0.0.1", port {port} failed: '
        "Connection refused)"
    )
    for args in (["status"], ["run", "--once"], ["run"]):
        result = cli(config, *args, code=1)
        assert result.stderr.splitlines()[-1] == expected
        assert "s3cret-pw" not in result.output


def test_a_server_gone_in_the_middle_of_a_poll_loses_nothing(
    tmp_path: Path, relay: tuple[Relay, str]
) -> None:
    gate, url = relay
    world = World(tmp_path, url)
    world.add(ACME)
    world.tick(START + timedelta(hours=1, minutes=30))
    before = dump(world.engine.sessions.kw["bind"])
    more_interviews(world, 3)

    gate.cut_on = b"INSERT INTO interviews"  # the poll has begun writing the new interviews
    line = error_line(world.config_path, "run", "--once", "--now", at(2))
    shown = make_url(url).render_as_string(hide_password=True)
    assert line == (
        f"followupd: lost the connection to database {shown} "
        "(consuming input failed: server closed the connection unexpectedly)"
    )
    assert error_line(world.config_path, "status").startswith(
        f"followupd: cannot connect to database {shown} ("
    )

    gate.restore()
    assert dump(world.engine.sessions.kw["bind"]) == before
    out = cli(world.config_path, "run", "--once", "--now", at(2)).stdout
    assert "drafted thank-you to Jane Smith (Acme)" in out
    assert "drafted thank-you to Raj Patel (Acme)" in out
    assert len(world.drafts()) == 2


# --------------------------------------------------------------------------------------------
# `run`: logs the failure and keeps serving
# --------------------------------------------------------------------------------------------


def wait_for(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@contextlib.contextmanager
def daemon(world: World, log: Path) -> Iterator[Callable[[], str]]:
    """``followupd run`` polling every second, in real time; yields a reader of its log."""
    world.config_path.write_text(
        world.config_path.read_text().replace("[daemon]\n", '[daemon]\npoll_interval = "1s"\n', 1)
    )
    env = {k: v for k, v in os.environ.items() if k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC")}
    env["PYTHONPATH"] = str(ROOT)
    env["PYTHONFAULTHANDLER"] = "1"  # SIGABRT dumps every thread's stack: a hang explains itself
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "daemon", "--config", str(world.config_path), "run"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=world.root,
        )
    try:
        yield log.read_text
        proc.send_signal(signal.SIGTERM)
        try:
            assert proc.wait(timeout=15) == 0, log.read_text()
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGABRT)
            proc.wait()
            pytest.fail(f"followupd did not stop on SIGTERM:\n{log.read_text()}")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert "Traceback" not in log.read_text(), log.read_text()


def due_now(world: World) -> None:
    """An interview that ended an hour ago: its thank-yous are due right now."""
    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=2, minutes=1)
    world.add(Event("now-1", start, 60, "Interview: Acme (Backend Engineer)", [JANE, RAJ]))


def test_run_keeps_serving_while_the_database_is_locked(tmp_path: Path) -> None:
    db = tmp_path / "state" / "state.db"
    world = World(tmp_path, f"sqlite:///{db}?timeout=0.2")
    with daemon(world, tmp_path / "daemon.log") as log:
        assert wait_for(lambda: "polling every" in log(), 15), log()
        with holding_lock(db):
            due_now(world)
            assert wait_for(lambda: "trying again at the next poll" in log(), 10), log()
            assert world.drafts() == []
        assert wait_for(lambda: len(world.drafts()) == 2, 10), log()
    assert f"state database file {db} {LOCKED}; trying again at the next poll" in log()


def test_run_keeps_serving_while_the_server_is_gone(
    tmp_path: Path, relay: tuple[Relay, str]
) -> None:
    gate, url = relay
    world = World(tmp_path, url)
    shown = make_url(url).render_as_string(hide_password=True)
    with daemon(world, tmp_path / "daemon.log") as log:
        assert wait_for(lambda: "polling every" in log(), 15), log()
        gate.cut()
        due_now(world)
        assert wait_for(lambda: "trying again at the next poll" in log(), 10), log()
        assert world.drafts() == []
        gate.restore()
        assert wait_for(lambda: len(world.drafts()) == 2, 10), log()
    lines = [line for line in log().splitlines() if "trying again at the next poll" in line]
    assert any(
        f"database {shown} (" in line
        and ("cannot connect to" in line or "lost the connection to" in line)
        for line in lines
    ), lines


STOP_WHILE_SCHEDULING = '''
import os, signal, threading, time
from datetime import UTC, datetime, timedelta
from daemon.running.service import Service

class SlowDatabase:
    """An engine whose read of the next due time is still running when SIGTERM arrives."""
    def __init__(self):
        self.stopping, self.progress_at, self.reading = False, time.monotonic(), threading.Event()
    def stop(self):
        self.stopping = True
    def poll(self):
        pass
    def run_due(self):
        pass
    def next_due(self):
        self.reading.set()
        while not self.stopping:
            time.sleep(0.01)
        time.sleep(0.3)  # by now the main thread is inside scheduler.shutdown()
        return datetime.now(UTC) + timedelta(hours=1)

engine = SlowDatabase()
threading.Thread(
    target=lambda: engine.reading.wait() and os.kill(os.getpid(), signal.SIGTERM), daemon=True
).start()
Service(engine, timedelta(hours=1)).run()
print("stopped cleanly")
'''


def test_sigterm_while_the_next_due_time_is_read_stops_the_daemon(tmp_path: Path) -> None:
    """Found while testing the above: APScheduler's shutdown(wait=True) waited for the running
    job while holding the lock that job needed to schedule the next wake-up, so a SIGTERM during
    a (slow) read of the next due time hung the daemon until systemd killed it."""
    proc = subprocess.run(
        [sys.executable, "-c", STOP_WHILE_SCHEDULING],
        capture_output=True,
        text=True,
        timeout=15,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONFAULTHANDLER": "1"},
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "stopped cleanly\n"
