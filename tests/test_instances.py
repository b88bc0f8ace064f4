"""Three followupd services on one PostgreSQL, one of them SIGKILLed mid-draft (issue 14).

The real CLI in subprocesses (``followupd run``), each instance with its own state folder and
the same accounts (ics calendars and Maildirs on this machine), coordinating only through the
database's leases (daemon/running/leases.py). Thank-yous come due one after another while they
run; one instance is killed right after it created a draft and before it recorded it. The
others must take its accounts over within one lease period and, between them, leave exactly one
draft per interviewer: none twice, none missing.

PostgreSQL only (SQLite serves one instance): skipped without FOLLOWUPD_TEST_POSTGRES_URL.
"""

from __future__ import annotations

import mailbox
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import POSTGRES_ENV, _fresh_postgres_database
from tests.harness import ME, Event, Person

ROOT = Path(__file__).resolve().parents[1]
ACCOUNTS = 9
LEASE = 4.0  # seconds: the shortest lease period the config accepts


@pytest.fixture
def pg_url() -> Iterator[str]:
    server = os.environ.get(POSTGRES_ENV)
    if not server:
        pytest.skip(f"{POSTGRES_ENV} is not set (bash .ci/run starts a PostgreSQL and sets it)")
    yield from _fresh_postgres_database(server)


def world(root: Path, db_url: str, start: datetime) -> None:
    """``ACCOUNTS`` accounts; account i's interview ends i * 2 s after ``start`` (+ 6 s), so
    its two thank-yous come due while the instances run."""
    accounts = []
    for i in range(ACCOUNTS):
        cal = root / f"cal{i}"
        cal.mkdir(parents=True)
        end = start + timedelta(seconds=6 + 2 * i)
        people = [
            Person("Jane Smith", f"jane@co{i}.example"),
            Person("Raj Patel", f"raj@co{i}.example"),
        ]
        event = Event(f"iv-{i}", end - timedelta(minutes=45), 45, f"Interview with Co{i}", people)
        (cal / "work.ics").write_text(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
            f"{event.ics()}\r\nEND:VCALENDAR\r\n"
        )
        box = mailbox.Maildir(root / f"mail{i}", create=True)
        for folder in ("Drafts", "Sent"):
            box.add_folder(folder)
        accounts.append(
            f'[[accounts]]\nname = "a{i}"\naddresses = ["{ME}"]\n'
            f'calendar = {{ provider = "ics", path = "{cal}" }}\n'
            f'mailbox = {{ provider = "maildir", path = "{root / f"mail{i}"}" }}\n'
        )
    for name in ("one", "two", "three"):
        (root / name).mkdir()
        (root / name / "config.toml").write_text(
            f'[daemon]\ntimezone = "Europe/Berlin"\nstate_dir = "state"\ndatabase = "{db_url}"\n'
            f'poll_interval = "1h"\nlease_period = "{LEASE:g}s"\n\n'
            '[candidate]\nname = "Alex Candidate"\n\n[days]\nholidays = []\n\n'
            '[thank_you]\ndelay = "0m"\n\n' + "\n".join(accounts)
        )


def start(root: Path, name: str, faults: str | None = None) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "FOLLOWUPD_"))}
    env.update(HOME=str(root / name), PYTHONPATH=str(ROOT), NO_PROXY="*")
    if faults:
        env["FOLLOWUPD_FAULTS"] = faults
    log = (root / f"{name}.log").open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "daemon", "--config", str(root / name / "config.toml"), "run"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def drafts(root: Path) -> dict[int, list[str]]:
    """Each account's drafts, by recipient."""
    found = {}
    for i in range(ACCOUNTS):
        folder = mailbox.Maildir(root / f"mail{i}", create=False).get_folder("Drafts")
        found[i] = sorted(str(message["To"]) for message in folder)
    return found


def holders(db_url: str) -> dict[str, str]:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT account, holder FROM account_leases")).all()
    finally:
        engine.dispose()
    return {account: holder for account, holder in rows}


def instance_of(db_url: str, pid: int) -> str | None:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(
                text("SELECT id FROM instances WHERE pid = :pid"), {"pid": pid}
            ).scalar()
    finally:
        engine.dispose()


def test_three_instances_one_killed_mid_draft_leave_exactly_one_draft_each(
    tmp_path: Path, pg_url: str
) -> None:
    begin = datetime.now(UTC)
    world(tmp_path, pg_url, begin)
    # "two" and "three" first, then "one", which dies right after its first draft is made.
    procs = {"two": start(tmp_path, "two"), "three": start(tmp_path, "three")}
    time.sleep(1.5)
    procs["one"] = start(tmp_path, "one", "kill-on:mailbox.create_draft after")
    try:
        deadline = time.monotonic() + 120
        while procs["one"].poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        if procs["one"].poll() is None:  # it never drafted: kill it anyway, mid-run
            procs["one"].kill()
        procs["one"].wait(10)
        killed = time.monotonic()
        assert procs["one"].returncode == -signal.SIGKILL
        # Its leases go to the others within one lease period (plus a renewal round's wait).
        dead = instance_of(pg_url, procs["one"].pid)
        assert dead is not None
        while time.monotonic() < deadline and dead in holders(pg_url).values():
            time.sleep(0.05)
        takeover = time.monotonic() - killed
        assert dead not in holders(pg_url).values()
        assert takeover < 2 * LEASE, f"{takeover:.1f} s"
        # The others finish everything, the dead one's accounts included.
        want = {
            i: [f"Jane Smith <jane@co{i}.example>", f"Raj Patel <raj@co{i}.example>"]
            for i in range(ACCOUNTS)
        }
        while time.monotonic() < deadline and drafts(tmp_path) != want:
            time.sleep(0.2)
        done = time.monotonic()
        assert drafts(tmp_path) == want, (tmp_path / "two.log").read_text()[-3000:]
        # Shared by the two living instances (each renewal round rebalances).
        while time.monotonic() < deadline and len(set(holders(pg_url).values())) != 2:
            time.sleep(0.2)
        taken = holders(pg_url)
        assert set(taken) == {f"a{i}" for i in range(ACCOUNTS)}
        assert sorted(Counter(taken.values()).values()) == [4, 5]
        for name in ("two", "three"):
            assert procs[name].poll() is None, (tmp_path / f"{name}.log").read_text()
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs.values():
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
    for name in ("two", "three"):
        log = (tmp_path / f"{name}.log").read_text()
        assert "Traceback" not in log, log
    # Every draft is recorded as drafted, once; none is left being created.
    engine = create_engine(pg_url)
    try:
        with engine.connect() as conn:
            states = dict(
                conn.execute(
                    text(
                        "SELECT state, count(*) FROM followups WHERE kind = 'thank_you' "
                        "GROUP BY state"
                    )
                ).all()
            )
    finally:
        engine.dispose()
    assert states == {"drafted": 2 * ACCOUNTS}
    print(
        f"takeover {takeover:.1f} s after the kill, all drafts after {done - killed:.1f} s "
        f"(lease period {LEASE:g} s)"
    )
