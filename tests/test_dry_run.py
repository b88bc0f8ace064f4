"""``followupd run --once --dry-run`` (issue 12, point 13): says what a run would do, and does
none of it: the state database and the Maildir stay byte for byte what they were, sync cursors
do not move, no lock is taken (it runs beside the service), and what it announces is exactly
what ``run --once`` then does.

The demo's home at simulated times, through the real CLI (in-process for speed; the service
beside it is a real subprocess). Google and Outlook: tests/test_cli_google.py and
tests/test_cli_outlook.py (no write request reaches the fakes).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from daemon import config as config_mod
from daemon import demo
from daemon.clock import FrozenClock
from daemon.running.dryrun import dry_engine
from daemon.running.reload import build_engine, renderer_for
from daemon.running.sharing import InstanceLock
from tests.demo_home import cli
from tests.harness import Event, Person

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)  # the demo's Acme interview ended this morning
LATER = datetime(2026, 3, 4, 14, 5, tzinfo=UTC)  # Initech's thank-you is due at 14:00


def followupd(config: Path, *args: str, code: int = 0) -> str:
    """``followupd --config CONFIG ARGS`` in a process of its own (its stdout, a pipe): it
    has closed the database when it returns, so the files can be compared byte for byte."""
    ran = subprocess.run(
        [sys.executable, "-m", "daemon", "--config", str(config), *args],
        capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert ran.returncode == code, (ran.stdout, ran.stderr)
    assert "Traceback" not in ran.stderr, ran.stderr
    return ran.stdout


def files(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (path -> sha256 of its bytes); the folder's state."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def cursors(db: Path) -> list[tuple[str, str, str, str]]:
    """The stored sync cursors, read without a trace (no process has the database open)."""
    conn = sqlite3.connect(f"{db.as_uri()}?immutable=1", uri=True)
    try:
        return conn.execute("SELECT * FROM sync_cursors ORDER BY account, kind").fetchall()
    finally:
        conn.close()


def once(base: list[str], now: datetime, *flags: str) -> dict:
    """``run --once --now NOW --json [flags]``, as a document."""
    return json.loads(cli(base, "run", "--once", "--now", now.isoformat(), "--json", *flags))


def happened(document: dict) -> list[tuple]:
    """What a run did (or would do), comparable between a dry run and a real one."""
    return [
        (e["followup_id"], e["kind"], e["to"]["email"], e["state"], e["reason"], e["subject"])
        for e in document["events"]
    ]


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The runtime dir a dry run copies the state into: empty again after every run."""
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    return runtime


def add_interview(calendar: Path, start: datetime) -> None:
    """An interview that appears in the calendar between two runs."""
    event = Event(
        "hooli-1", start, 60, "Interview: Hooli (Platform Engineer)",
        [Person("Gavin Belson", "gavin@hooli.example")],
    )  # fmt: skip
    text = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
    (calendar / "hooli.ics").write_text(text + event.ics() + "\r\nEND:VCALENDAR\r\n", newline="")


def test_the_first_dry_run_announces_the_first_run_and_creates_nothing(
    tmp_path: Path, scratch: Path
) -> None:
    config = demo.create(tmp_path / "demo", now=NOW)
    base = ["--config", str(config)]
    home = files(tmp_path / "demo")

    dry = once(base, NOW, "--dry-run")
    assert dry["dry_run"] is True and dry["ok"] is True
    assert files(tmp_path / "demo") == home  # no state folder, no draft, no lock file
    assert not (tmp_path / "demo" / "state").exists()
    assert list(scratch.iterdir()) == []  # the copy is gone too

    real = once(base, NOW)
    assert real["dry_run"] is False
    assert happened(dry) == happened(real)
    drafted = sorted((e[2], e[5]) for e in happened(real) if e[3] == "drafted")
    assert drafted == [
        ("jane.smith@acme.example", "Thank you – Senior Backend Engineer interview"),
        ("maria.garcia@globex.example", "Re: Thank you for today"),
        ("raj.patel@acme.example", "Thank you – Senior Backend Engineer interview"),
    ]


def test_a_dry_run_writes_nothing_and_moves_no_cursor_then_run_once_does_what_it_said(
    tmp_path: Path, scratch: Path
) -> None:
    config = demo.create(tmp_path / "demo", now=NOW)
    followupd(config, "run", "--once", "--now", NOW.isoformat())
    add_interview(tmp_path / "demo" / "calendar", LATER + timedelta(days=1))
    db = tmp_path / "demo" / "state" / "state.db"
    state, maildir, before = files(db.parent), files(tmp_path / "demo" / "Maildir"), cursors(db)

    shown = followupd(config, "run", "--once", "--dry-run", "--now", LATER.isoformat())
    assert shown.splitlines() == [
        "(times in UTC)",
        "would plan thank-you to Gavin Belson (Hooli), due 2026-03-05 16:05",
        "would plan status inquiry #1 to Gavin Belson (Hooli), due 2026-04-04 15:05",
        "would draft thank-you to Bill Lumbergh (Initech), due 2026-03-04 14:00: "
        "Thank you – Initech interview",
    ]
    dry = json.loads(
        followupd(config, "run", "--once", "--dry-run", "--now", LATER.isoformat(), "--json")
    )
    # Byte for byte: the database, its side files, the account folders, the Maildir.
    assert files(db.parent) == state
    assert files(tmp_path / "demo" / "Maildir") == maildir
    assert cursors(db) == before  # the next real poll still sees the new interview
    assert list(scratch.iterdir()) == []

    real = json.loads(followupd(config, "run", "--once", "--now", LATER.isoformat(), "--json"))
    assert happened(real) == happened(dry)
    assert "Gavin Belson" in json.dumps(real["events"])  # seen by the real poll after all
    drafts = tmp_path / "demo" / "Maildir" / ".Drafts" / "cur"
    assert len(list(drafts.iterdir())) == 4  # three of the first run, Bill's now
    assert cursors(db) != before


def test_a_dry_run_at_an_earlier_time_lists_only_its_own_doings(
    tmp_path: Path, scratch: Path
) -> None:
    """Real runs recorded transitions later than a dry run's --now: not its doings."""
    config = demo.create(tmp_path / "demo", now=NOW)
    base = ["--config", str(config)]
    cli(base, "run", "--once", "--now", LATER.isoformat())
    assert cli(base, "run", "--once", "--dry-run", "--now", NOW.isoformat()).splitlines() == [
        "Nothing would be done right now."
    ]


def test_exit_codes_and_flags_are_those_of_run_once(tmp_path: Path, scratch: Path) -> None:
    config = demo.create(tmp_path / "demo", now=NOW)
    cli(["--config", str(config)], "run", "--once", "--now", NOW.isoformat())
    config.write_text(config.read_text().replace('path = "Maildir"', 'path = "Nowhere"'))
    args = ("run", "--once", "--dry-run", "--now", LATER.isoformat())
    dry = json.loads(followupd(config, *args, "--json", code=1))
    assert dry["ok"] is False and dry["failures"] == ["account demo: error"]
    assert "account demo: error" in followupd(config, *args, code=1)
    assert "--dry-run only works together with --once" in cli(
        ["--config", str(config)], "run", "--dry-run", code=1
    )


def test_the_service_keeps_working_while_a_dry_run_holds_its_copy(
    tmp_path: Path, scratch: Path
) -> None:
    """The service's own round commits while a dry run is half-way: the dry run locks nothing
    (a dry run inside a rolled-back transaction of the real database would hold SQLite's write
    lock, and this round would fail after the busy timeout)."""
    path = demo.create(tmp_path / "demo", now=NOW)
    config = config_mod.load(path)
    clock = FrozenClock(LATER)
    with dry_engine(config, clock, renderer_for(config)) as dry:
        dry.poll()
        real = build_engine(config, clock)
        started = time.monotonic()
        real.poll()
        real.run_due()
        assert time.monotonic() - started < 5  # not stuck on a lock
        dry.run_due()
        with dry.sessions() as session:
            would = doings(session)
    with real.sessions() as session:
        did = doings(session)
    assert ("thank_you", "bill@initech.example", "drafted") in did
    assert would == did


def doings(session) -> list[tuple[str, str, str]]:  # noqa: ANN001
    """The transitions a store recorded, as (kind, to, state)."""
    from sqlalchemy import select

    from daemon.store.models import Transition

    return [
        (t.followup.kind, t.followup.interviewer.email, t.to_state)
        for t in session.scalars(select(Transition).order_by(Transition.id))
    ]


def _held(lock: Path) -> bool:
    fd = os.open(lock, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def test_a_dry_run_works_while_the_service_runs(tmp_path: Path) -> None:
    """The real ``followupd run`` holds the state's lock and the Maildir's; a dry run beside
    it still runs, and says what a run at that time would do."""
    real_now = datetime.now(UTC).replace(microsecond=0)
    config = demo.create(tmp_path / "demo", now=real_now)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "FOLLOWUPD_"))},
        "PYTHONPATH": str(ROOT),
        "XDG_RUNTIME_DIR": str(tmp_path),
    }
    argv = [sys.executable, "-m", "daemon", "--config", str(config)]
    log = tmp_path / "service.log"
    with log.open("w") as err:
        service = subprocess.Popen([*argv, "-v", "run"], stderr=err, env=env)
    try:
        deadline = time.monotonic() + 60
        while "next wake-up" not in log.read_text():  # its first poll and round are done
            assert service.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        state, box = tmp_path / "demo" / "state", tmp_path / "demo" / "Maildir"
        assert _held(state / "followupd.lock") and _held(box / ".followupd.lock")
        db, maildir = state / "state.db", files(box)
        rows = hashlib.sha256(db.read_bytes()).hexdigest()
        # The service has drafted what was due; a day later, Initech's thank-you is due.
        later = real_now + timedelta(days=1, hours=3)
        dry = subprocess.run(
            [*argv, "run", "--once", "--dry-run", "--now", later.isoformat(), "--json"],
            capture_output=True, text=True, env=env, timeout=60,
        )  # fmt: skip
        assert dry.returncode == 0, dry.stderr
        document = json.loads(dry.stdout)
        assert document["dry_run"] and document["ok"]
        assert [(e["to"]["email"], e["state"]) for e in document["events"]] == [
            ("bill@initech.example", "drafted")
        ]
        assert files(box) == maildir
        assert hashlib.sha256(db.read_bytes()).hexdigest() == rows
        service.send_signal(signal.SIGTERM)
        assert service.wait(timeout=30) == 0, log.read_text()
    finally:
        if service.poll() is None:
            service.kill()
            service.wait()
    assert "Traceback" not in log.read_text() and " ERROR " not in log.read_text()


def test_a_dry_run_beside_a_held_lock_is_not_refused_and_a_real_one_is(
    tmp_path: Path, scratch: Path
) -> None:
    config = demo.create(tmp_path / "demo", now=NOW)
    base = ["--config", str(config)]
    with InstanceLock(tmp_path / "demo" / "state"):
        assert "would draft thank-you to Jane Smith" in cli(
            base, "run", "--once", "--dry-run", "--now", NOW.isoformat()
        )
        assert "is already running" in cli(base, "run", "--once", "--now", NOW.isoformat(), code=1)


def everything(url: str) -> dict[str, list[tuple]]:
    """Every row of every table of the store at ``url``."""
    from sqlalchemy import create_engine, select

    from daemon.store.models import Base

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                table.name: [
                    tuple(row) for row in conn.execute(select(table).order_by(*table.primary_key))
                ]
                for table in Base.metadata.sorted_tables
            }
    finally:
        engine.dispose()


def test_a_dry_run_on_either_database_changes_no_row(
    tmp_path: Path, scratch: Path, db_url: str
) -> None:
    """PostgreSQL's rows are copied in one read-only snapshot; SQLite's file is backed up."""
    config = demo.create(tmp_path / "demo", now=NOW)
    config.write_text(
        config.read_text().replace(
            'state_dir = "state"\n', f'state_dir = "state"\ndatabase = "{db_url}"\n'
        )
    )
    base = ["--config", str(config)]
    first = once(base, NOW)
    add_interview(tmp_path / "demo" / "calendar", LATER + timedelta(days=1))
    rows = everything(db_url)
    assert rows["followups"] and rows["sync_cursors"]

    dry = once(base, LATER, "--dry-run")
    assert everything(db_url) == rows
    assert happened(dry) == happened(once(base, LATER))
    assert happened(dry) and happened(dry) != happened(first)


@pytest.mark.parametrize("in_use", [False, True], ids=["at-rest", "in-use"])
def test_no_room_for_the_copy_is_one_line_naming_the_folder(tmp_path: Path, in_use: bool) -> None:
    """A runtime dir (a tmpfs) too small for the copy of the state: said, not a traceback,
    whether the database file is copied as it is (nobody has it open) or backed up (the
    service has it open: here, this test)."""
    config = demo.create(tmp_path / "demo", now=NOW)
    followupd(config, "run", "--once", "--now", NOW.isoformat())
    state = tmp_path / "demo" / "state"
    small = tmp_path / "runtime"
    small.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16k,mode=0700", "tmpfs", str(small)],
        capture_output=True, text=True,
    )  # fmt: skip
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    user = sqlite3.connect(state / "state.db") if in_use else None
    try:
        if user is not None:
            user.execute("SELECT count(*) FROM followups").fetchone()
            assert (state / "state.db-wal").exists()
        ran = subprocess.run(
            [sys.executable, "-m", "daemon", "--config", str(config), "run", "--once",
             "--dry-run", "--now", LATER.isoformat()],
            capture_output=True, text=True, timeout=120,
            env={**os.environ, "PYTHONPATH": str(ROOT), "XDG_RUNTIME_DIR": str(small)},
        )  # fmt: skip
        assert ran.returncode == 1 and ran.stdout == "", (ran.stdout, ran.stderr)
        line = re.escape(
            f"followupd: cannot copy the state ({state}) into {small}/followupd-dry-run-"
        ) + re.escape(
            " for the dry run (No space left on device); expected a folder this user may "
            "write to, with room for a copy of the state: point XDG_RUNTIME_DIR (or, without "
            "it, TMPDIR) at one"
        ).join(["[^ ]+", ""])
        assert len(ran.stderr.splitlines()) == 1 and re.fullmatch(line, ran.stderr.strip()), (
            ran.stderr
        )
        assert list(small.iterdir()) == []  # the partial copy is gone
    finally:
        if user is not None:
            user.close()
        subprocess.run(["umount", str(small)], check=True)


def test_the_log_of_a_dry_run_says_nothing_was_done(tmp_path: Path, scratch: Path) -> None:
    config = demo.create(tmp_path / "demo", now=NOW)
    ran = subprocess.run(
        [sys.executable, "-m", "daemon", "--config", str(config), "-v", "run", "--once",
         "--dry-run", "--now", NOW.isoformat()],
        capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    drafted = [line for line in ran.stderr.splitlines() if "drafted thank_you for" in line]
    assert len(drafted) == 2, ran.stderr
    assert all("drafter: dry run, nothing written: drafted thank_you" in line for line in drafted)


def test_a_state_of_an_older_schema_stays_as_it_is(
    tmp_path: Path, scratch: Path, db_url: str
) -> None:
    """Upgrading the schema is a write: SQLite's copy is upgraded, the state is not;
    PostgreSQL's rows are copied only at this version's schema, so the dry run says what to
    do first."""
    from daemon.store.database import HEAD_REVISION, current_revisions, migrate, open_engine

    older = f"{int(HEAD_REVISION) - 1:04d}"
    engine = open_engine(db_url)
    migrate(engine, older)
    config = demo.create(tmp_path / "demo", now=NOW)
    config.write_text(
        config.read_text().replace(
            'state_dir = "state"\n', f'state_dir = "state"\ndatabase = "{db_url}"\n'
        )
    )
    args = ("run", "--once", "--dry-run", "--now", NOW.isoformat())
    if db_url.startswith("sqlite"):
        assert "would draft thank-you to Jane Smith" in followupd(config, *args)
    else:
        refused = subprocess.run(
            [sys.executable, "-m", "daemon", "--config", str(config), *args],
            capture_output=True, text=True, timeout=120,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )  # fmt: skip
        assert refused.returncode == 1, refused.stderr
        assert refused.stderr.strip().endswith(
            f"its schema is older than this followupd's ({older}, expected {HEAD_REVISION}) and "
            "a dry run does not upgrade it; restart the service (or run 'followupd status' "
            "once), then try again"
        ), refused.stderr
    assert current_revisions(engine) == (older,)
    engine.dispose()


def test_a_database_a_real_run_refuses_is_refused_and_named(tmp_path: Path, scratch: Path) -> None:
    """Another program's SQLite file as the state: refused as a real run refuses it, naming
    the file (not the dry run's copy of it), and left as it was."""
    config = demo.create(tmp_path / "demo", now=NOW)
    other = tmp_path / "notes.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
    conn.commit()
    conn.close()
    config.write_text(
        config.read_text().replace(
            'state_dir = "state"\n', f'state_dir = "state"\ndatabase = "sqlite:///{other}"\n'
        )
    )
    before = other.read_bytes()
    refused = subprocess.run(
        [sys.executable, "-m", "daemon", "--config", str(config), "run", "--once",
         "--dry-run", "--now", NOW.isoformat()],
        capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert refused.returncode == 1 and "Traceback" not in refused.stderr, refused.stderr
    assert refused.stderr.startswith(
        f"followupd: state database file {other} is not a followupd state database: it holds "
        "tables of another program (notes)"
    ), refused.stderr
    assert other.read_bytes() == before


def test_a_maildir_another_state_follows_is_refused_as_a_real_run_refuses_it(
    tmp_path: Path, scratch: Path
) -> None:
    config = demo.create(tmp_path / "demo", now=NOW)
    followupd(config, "run", "--once", "--now", NOW.isoformat())
    lock = tmp_path / "demo" / "Maildir" / ".followupd.lock"
    lock.write_text("state: sqlite:////elsewhere/state.db\npid 1\n")
    args = ("run", "--once", "--now", LATER.isoformat(), "--json")
    dry = json.loads(followupd(config, *args, "--dry-run", code=1))
    assert dry["failures"] == ["account demo: error"] and dry["events"] == []
    (account,) = dry["accounts"]
    assert (
        "is followed by another followupd state (sqlite:////elsewhere/state.db)"
        in (account["last_error"])
    )
    assert lock.read_text() == "state: sqlite:////elsewhere/state.db\npid 1\n"
    real = json.loads(followupd(config, *args, code=1))
    assert real["accounts"][0]["last_error"] == account["last_error"]
    assert real["events"] == []
