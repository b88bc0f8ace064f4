"""A change to an account's files wakes the running service for that account (issue 14).

Before, an interview saved to the calendar just after a poll waited for the next one (five
minutes by default, up to 24 hours) even when its thank-you was due already. The service here
is the real one, in this process, with an hour between polls: its scheduler, the real ics and
Maildir connectors watching real folders through inotify (watchfiles), the real engine and
store. What is asserted is what a user sees: the draft in Drafts within seconds.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from daemon.running import wakeups
from daemon.running.service import Service
from tests.harness import Event, Person, World

HOUR = timedelta(hours=1)
WOKEN = "changed: polled"


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> float:
    """Wait until ``condition()``; return how long it took."""
    began = time.monotonic()
    while not condition():
        if time.monotonic() - began > seconds:
            raise AssertionError(f"timed out after {seconds} s waiting for {what}")
        time.sleep(0.02)
    return time.monotonic() - began


def interview(uid: str, person: Person) -> Event:
    """An interview that ended two hours ago: its thank-you is due now."""
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    return Event(uid, start, 60, "Interview: Acme (Backend Engineer)", [person])


@pytest.fixture
def world(tmp_path: Path) -> World:
    world = World(tmp_path, f"sqlite:///{tmp_path / 'state.db'}")
    world.clock.set(datetime.now(UTC))
    return world


@pytest.fixture
def running(world: World, monkeypatch: pytest.MonkeyPatch) -> Iterator[Service]:
    """The service as ``run`` starts it (leases, scheduler, first poll at once, watches),
    polling every hour."""
    monkeypatch.setattr(wakeups, "DEBOUNCE", 0.5)
    service = Service(world.engine, HOUR)
    service.renewal.start()
    service._start()
    wait_for(lambda: _polled(world), 10, "the first poll")
    try:
        yield service
    finally:
        service.stop_jobs(wait=True)


def _polled(world: World) -> bool:
    from daemon.store.models import AccountState

    with world.engine.sessions() as session:
        state = session.get(AccountState, "home")
        return state is not None and state.last_poll_at is not None


def woken(caplog: pytest.LogCaptureFixture) -> int:
    return sum(WOKEN in r.getMessage() for r in caplog.records)


def test_an_interview_saved_between_polls_gets_its_thank_you_within_seconds(
    world: World, running: Service, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    assert running.wakeups is not None
    assert running.wakeups.watching() == [("home", "calendar"), ("home", "mailbox")]
    assert world.drafts() == []

    world.add(interview("acme-1", Person("Jane Smith", "jane@acme.example")))
    took = wait_for(lambda: len(world.drafts()) == 1, 8, "the thank-you draft")
    assert took < 5, took  # the poll interval is an hour
    assert world.drafts()[0]["To"] == "Jane Smith <jane@acme.example>"

    # A burst: a sync tool writes files (one more interview among them) one after the other,
    # further apart than the file watch's own grouping (50 ms), within the service's.
    running.wakeups.debounce = 1.0
    for n in range(6):
        (world.root / "cal" / f"other-{n}.ics").write_text(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nEND:VCALENDAR\r\n"
        )
        time.sleep(0.08)
    world.add(interview("acme-2", Person("Raj Rao", "raj@acme.example")))
    wait_for(lambda: len(world.drafts()) == 2, 8, "the second thank-you draft")
    # Room for a second wake-up: none comes, neither from the burst nor from the draft
    # followupd wrote into Drafts itself.
    time.sleep(1.2)
    assert woken(caplog) == 2, [r.getMessage() for r in caplog.records]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]

    # The account's lease goes to another instance: so do its watches.
    running._let_go("home")
    assert running.wakeups.watching() == []


def test_a_reply_delivered_to_the_maildir_wakes_the_account(
    world: World, running: Service, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    world.receive("jane@acme.example", "Re: our interview", datetime.now(UTC))
    wait_for(lambda: woken(caplog) == 1, 5, "a poll woken by the new message")
    # The user reads it (new/ -> cur/, flagged Seen) and deletes an old one: nothing a poll
    # would learn from, and what a mail client does all day: no wake-up.
    world.receive("jane@acme.example", "Old news", datetime.now(UTC) - timedelta(days=40))
    wait_for(lambda: woken(caplog) == 2, 5, "a poll woken by the second message")
    key, old = list(world.box.iterkeys())
    message = world.box.get_message(key)
    message.set_subdir("cur")
    message.add_flag("S")
    world.box[key] = message
    world.box.remove(old)
    time.sleep(1.5)
    assert woken(caplog) == 2, [r.getMessage() for r in caplog.records]


def test_a_watch_that_cannot_start_leaves_the_account_polled_at_its_interval(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The system's limit of inotify watches reached: said once, and polling goes on."""
    from watchfiles import _rust_notify

    class Exhausted:
        def __init__(self, *args: object) -> None:
            raise OSError("OS file watch limit reached. about [...]")

    monkeypatch.setattr(_rust_notify, "RustNotify", Exhausted)
    caplog.set_level(logging.INFO)
    world = World(tmp_path / "w", f"sqlite:///{tmp_path / 'w.db'}")
    world.clock.set(datetime.now(UTC))
    monkeypatch.setattr(wakeups, "DEBOUNCE", 0.5)
    service = Service(world.engine, timedelta(seconds=1))
    service.renewal.start()
    try:
        service._start()
        assert service.wakeups is not None and service.wakeups.watching() == []
        wait_for(lambda: _polled(world), 5, "the first poll")
        world.add(interview("acme-1", Person("Jane Smith", "jane@acme.example")))
        wait_for(lambda: len(world.drafts()) == 1, 8, "the draft, at the next poll")
    finally:
        service.stop_jobs(wait=True)
    said = [r.getMessage() for r in caplog.records if "OS file watch limit" in r.getMessage()]
    cycles = sum("poll cycle:" in r.getMessage() for r in caplog.records)
    assert cycles >= 2  # each cycle tried again; each side was said once
    assert len(said) == 2, said
    assert said[0].startswith(f"home: ics {world.root / 'cal'}: cannot watch for changes (OS")
    assert said[0].endswith("; calendar changes are read at the next poll")
    assert said[1].startswith(f"home: maildir {world.root / 'mail'}: cannot watch for changes")
    assert woken(caplog) == 0
    # followupd's own warnings only: with this test's 1-second interval, a cycle slowed by a
    # busy CI machine makes APScheduler skip the next one, and it warns of that itself.
    mine = [r for r in caplog.records if not r.name.startswith("apscheduler")]
    assert not [r for r in mine if r.levelno >= logging.WARNING]


def test_wake_on_change_false_watches_nothing(tmp_path: Path) -> None:
    world = World(tmp_path, f"sqlite:///{tmp_path / 'state.db'}")
    text = world.config_path.read_text()
    world.config_path.write_text(text.replace("[daemon]\n", "[daemon]\nwake_on_change = false\n"))
    world.restart()
    assert world.config.daemon.wake_on_change is False
    service = Service(world.engine, HOUR)
    service.renewal.start()
    try:
        service._start()
        assert service.wakeups is None
    finally:
        service.stop_jobs(wait=True)


def test_what_a_sync_reads_wakes_and_nothing_else(tmp_path: Path) -> None:
    """The ics source's watch: a single file replaced by a rename (editors, downloads) wakes;
    its neighbours, hidden files and temporary files do not; a folder's *.ics below a
    subfolder does."""
    import threading

    from connectors.ics.source import IcsCalendar
    from daemon.clock import FrozenClock
    from daemon.protocols import AccountContext

    ctx = AccountContext(
        "home", ("alex@example.org",), tmp_path, FrozenClock(datetime.now(UTC)), "UTC"
    )
    (tmp_path / "one").mkdir()
    single = tmp_path / "one" / "work.ics"
    single.write_text("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
    folder = tmp_path / "vdir"
    (folder / "work").mkdir(parents=True)
    woken = {"single": threading.Event(), "folder": threading.Event()}
    watches = [
        IcsCalendar(single, ctx).watch(woken["single"].set),
        IcsCalendar(folder, ctx).watch(woken["folder"].set),
    ]
    try:
        (tmp_path / "one" / "other.ics").write_text("x")  # not the configured file
        (folder / ".work.ics.tmp").write_text("x")  # vdirsyncer's temporary file
        (folder / "work" / "notes.txt").write_text("x")
        assert not woken["single"].wait(0.4) and not woken["folder"].is_set()
        replacement = tmp_path / "one" / ".work.ics.part"
        replacement.write_text("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
        replacement.rename(single)
        (folder / ".work.ics.tmp").rename(folder / "work" / "abc.ics")
        assert woken["single"].wait(3) and woken["folder"].wait(3)
    finally:
        for watch in watches:
            watch.close()
