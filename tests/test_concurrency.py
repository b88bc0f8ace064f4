"""Many accounts at once: limits, isolation and a state that stays right (issue 14).

The pool itself (daemon/running/workers.py) is checked with units that wait on events, so
every assertion is about order and counts, never about seconds. The engine is then run over
a dozen real accounts (ics calendars, Maildirs) on SQLite and PostgreSQL, with some accounts
failing and one whose server never answers, in threads writing one store at once.
"""

from __future__ import annotations

import mailbox
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from daemon import config as config_mod
from daemon.clock import FrozenClock
from daemon.running.accounts import connect_all
from daemon.running.engine import Engine
from daemon.running.workers import Unit, Workers
from daemon.store.database import StoreError, open_store
from daemon.store.models import AccountState, FollowUp, State
from daemon.writing.render import Renderer
from tests.harness import ME, Event, Person

# -- the pool -----------------------------------------------------------------------------


class Gauge:
    """Counts units in flight, overall, per provider and per account, and keeps the peaks."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now: dict[str, int] = {}
        self.peak: dict[str, int] = {}
        self.order: list[str] = []

    def enter(self, *keys: str) -> None:
        with self.lock:
            for key in keys:
                self.now[key] = self.now.get(key, 0) + 1
                self.peak[key] = max(self.peak.get(key, 0), self.now[key])

    def leave(self, *keys: str) -> None:
        with self.lock:
            for key in keys:
                self.now[key] -= 1


def test_the_pool_keeps_every_limit_and_runs_everything() -> None:
    gauge = Gauge()
    release = threading.Event()
    done: list[str] = []

    def unit(account: str, provider: str, n: int) -> Unit:
        def work() -> None:
            gauge.enter("all", provider, account)
            release.wait(0.01)  # long enough for the others to pile up behind the limits
            done.append(f"{account}/{n}")
            gauge.leave("all", provider, account)

        return Unit(account, frozenset({provider}), work)

    units = [
        unit(f"{provider}{i}", provider, n)
        for n in range(3)
        for provider in ("google", "outlook", "ics")
        for i in range(6)
    ]
    workers = Workers(5, {"google": 2, "outlook": 1})
    workers.run(units)
    assert sorted(done) == sorted(f"{u.account}/{n}" for n in range(3) for u in units[:18])
    assert gauge.peak["all"] == workers.peak == 5
    assert gauge.peak["google"] == 2 and gauge.peak["outlook"] == 1
    assert max(v for k, v in gauge.peak.items() if k[-1].isdigit()) == 1  # one per account


def test_a_unit_that_never_ends_holds_only_its_own_account() -> None:
    stuck = threading.Event()
    went: list[str] = []

    def hang() -> None:
        stuck.wait(30)

    units = [Unit("slow", frozenset({"caldav"}), hang)] + [
        Unit(f"a{i}", frozenset({"ics"}), lambda i=i: went.append(f"a{i}")) for i in range(20)
    ]
    workers = Workers(3)
    runner = threading.Thread(target=workers.run, args=(units,))
    runner.start()
    try:
        # Every other account's unit ends while the slow one still waits.
        deadline = threading.Event()
        for _ in range(300):
            if len(went) == 20:
                break
            deadline.wait(0.05)
        assert sorted(went) == sorted(f"a{i}" for i in range(20))
        assert runner.is_alive()
    finally:
        stuck.set()
        runner.join(10)
    assert not runner.is_alive()


def test_a_database_failure_stops_the_round_and_is_raised_once() -> None:
    began: list[int] = []
    gate = threading.Event()

    def fail() -> None:
        raise StoreError("state database file /x/state.db is locked")

    def work(n: int) -> None:
        began.append(n)
        gate.wait(0.05)

    units = [Unit("bad", frozenset(), fail)]
    units += [Unit(f"a{n}", frozenset(), lambda n=n: work(n)) for n in range(50)]
    with pytest.raises(StoreError, match="is locked"):
        Workers(2).run(units)
    assert len(began) < 50  # what was not begun when it failed was never begun


def test_two_callers_share_the_limits_and_never_work_one_account_twice() -> None:
    gauge = Gauge()

    def unit(account: str) -> Unit:
        def work() -> None:
            gauge.enter("all", account)
            threading.Event().wait(0.005)
            gauge.leave("all", account)

        return Unit(account, frozenset({"google"}), work)

    workers = Workers(4, {"google": 3})
    polls = [unit(f"acct{i % 10}") for i in range(40)]
    drafts = [unit(f"acct{i % 10}") for i in range(40)]
    other = threading.Thread(target=workers.run, args=(drafts,))
    other.start()
    workers.run(polls)
    other.join(10)
    assert gauge.peak["all"] <= 3
    assert max(v for k, v in gauge.peak.items() if k.startswith("acct")) == 1


def test_due_work_takes_the_next_free_thread_before_a_long_poll() -> None:
    """A draft due while a thousand accounts are polled must not wait for the poll to give up
    a thread by chance: the urgent caller's units start first once one frees up."""
    workers = Workers(2)
    started: list[str] = []
    lock = threading.Lock()
    release = {f"p{i}": threading.Event() for i in range(6)}

    def unit(name: str) -> Unit:
        def work() -> None:
            with lock:
                started.append(name)
            if name in release:
                assert release[name].wait(10)

        return Unit(name, frozenset({"google"}), work)

    def until(condition) -> None:  # noqa: ANN001
        for _ in range(2000):
            if condition():
                return
            threading.Event().wait(0.005)
        raise AssertionError("the pool never got there")

    poll = Background(lambda: workers.run([unit(f"p{i}") for i in range(6)]))
    poll.start()
    until(lambda: len(started) == 2)  # both threads taken by the poll
    due = Background(lambda: workers.run([unit("u0"), unit("u1")], urgent=True))
    due.start()
    until(lambda: workers._urgent == 2)  # noqa: SLF001 - the due units are waiting
    release["p0"].set()
    until(lambda: len(started) >= 4)
    for event in release.values():
        event.set()
    poll.join(10)
    due.join(10)
    assert poll.raised is None and due.raised is None
    assert started[:4] == ["p0", "p1", "u0", "u1"]
    assert sorted(started) == sorted([*release, "u0", "u1"])


# -- the engine, many accounts ------------------------------------------------------------


class Background(threading.Thread):
    """A call in a thread of its own; what it raised is kept for the test to see."""

    def __init__(self, call) -> None:  # noqa: ANN001
        super().__init__(daemon=True)
        self.call = call
        self.raised: BaseException | None = None

    def run(self) -> None:
        try:
            self.call()
        except BaseException as err:  # noqa: BLE001 - handed to the test
            self.raised = err


NOW = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)


class Silent:
    """A TCP server that accepts and never answers, until told to hang up."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.accepted = threading.Event()
        self.conns: list[socket.socket] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)
            self.accepted.set()

    def close(self) -> None:
        for conn in self.conns:
            conn.close()
        self.sock.close()


def interview(uid: str, company: str) -> Event:
    people = [
        Person("Jane Smith", f"jane@{company}.example"),
        Person("Raj Patel", f"raj@{company}.example"),
    ]
    return Event(uid, NOW - timedelta(hours=3), 60, f"Interview with {company.title()}", people)


def many_accounts(root: Path, db_url: str, count: int, first: str = "") -> Path:
    """``count`` ics + Maildir accounts, each with one interview that ended two hours ago,
    after the account ``first`` (a TOML table) if given: polled first."""
    accounts = []
    for i in range(count):
        cal = root / f"cal{i}"
        cal.mkdir()
        body = interview(f"iv-{i}", f"company{i}").ics()
        (cal / "work.ics").write_text(
            f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{body}\r\nEND:VCALENDAR\r\n"
        )
        box = mailbox.Maildir(root / f"mail{i}", create=True)
        for folder in ("Drafts", "Sent"):
            box.add_folder(folder)
        accounts.append(
            f'[[accounts]]\nname = "a{i}"\naddresses = ["{ME}"]\n'
            f'calendar = {{ provider = "ics", path = "cal{i}" }}\n'
            f'mailbox = {{ provider = "maildir", path = "mail{i}" }}\n'
        )
    path = root / "config.toml"
    path.write_text(
        f'[daemon]\ntimezone = "Europe/Berlin"\nstate_dir = "state"\ndatabase = "{db_url}"\n'
        'concurrency = 6\n\n[candidate]\nname = "Alex Candidate"\n\n[days]\nholidays = []\n\n'
        + first
        + "\n".join(accounts)
    )
    return path


def engine_for(path: Path) -> Engine:
    config = config_mod.load(path)
    t, s = config.thank_you, config.status_inquiry
    clock = FrozenClock(NOW)
    sessions = open_store(config.daemon.database, config.daemon.concurrency + 4)
    return Engine(
        config,
        sessions,
        connect_all(config, clock, sessions),
        clock,
        Renderer(t.template, t.html_template, s.template, s.html_template),
    )


def drafts_in(root: Path, i: int) -> int:
    if not (root / f"mail{i}").is_dir():
        return 0
    return len(mailbox.Maildir(root / f"mail{i}", create=False).get_folder("Drafts"))


@pytest.fixture
def silent() -> Iterator[Silent]:
    server = Silent()
    yield server
    server.close()


def test_many_accounts_at_once_each_get_exactly_their_drafts_while_one_never_answers(
    tmp_path: Path, db_url: str, silent: Silent
) -> None:
    count = 12
    broken = 4  # its Maildir is a file: the account fails, the others go on
    slow = f"""
[[accounts]]
name = "slow"
addresses = ["{ME}"]
calendar = {{ provider = "caldav", url = "http://127.0.0.1:{silent.port}/dav/", username = "u", password = "p", timeout = 120 }}
mailbox = {{ provider = "maildir", path = "mail-slow" }}
"""
    path = many_accounts(tmp_path, db_url, count, slow)
    mailbox.Maildir(tmp_path / "mail-slow", create=True)
    engine = engine_for(path)
    (tmp_path / f"mail{broken}").rename(tmp_path / "moved")
    (tmp_path / f"mail{broken}").write_text("not a folder")

    poll = Background(engine.poll)
    poll.start()
    try:
        assert silent.accepted.wait(60), "the slow account never connected"
        # While the slow account's request hangs, every other account is polled and drafted.
        for _ in range(600):
            with engine.sessions() as session:
                states = {s.name: s for s in session.scalars(select(AccountState))}
            if sum(1 for s in states.values() if s.last_success_at or s.last_error) >= count:
                break
            threading.Event().wait(0.05)
        engine.run_due()
        assert poll.is_alive(), "the poll should still wait for the slow account"
        for i in range(count):
            assert drafts_in(tmp_path, i) == (0 if i == broken else 2), f"account a{i}"
    finally:
        silent.close()  # the slow account's request fails now
        poll.join(60)
    assert not poll.is_alive() and poll.raised is None
    with engine.sessions() as session:
        states = {s.name: s for s in session.scalars(select(AccountState))}
        assert states["slow"].status in ("backoff", "error")
        assert states[f"a{broken}"].status == "error"
        assert "mail4" in (states[f"a{broken}"].last_error or "")
        assert all(states[f"a{i}"].status == "ok" for i in range(count) if i != broken)
        drafted = session.scalars(select(FollowUp).where(FollowUp.state == State.DRAFTED)).all()
        assert len(drafted) == 2 * (count - 1)
    # Again, and after a restart: exactly one draft per interviewer, nothing more.
    engine.poll()
    engine.run_due()
    engine = engine_for(path)
    engine.poll()
    engine.run_due()
    for i in range(count):
        assert drafts_in(tmp_path, i) == (0 if i == broken else 2), f"account a{i}"


def test_an_account_removed_while_its_poll_runs_keeps_its_state_and_drafts(
    tmp_path: Path, silent: Silent
) -> None:
    """The config is reloaded without the slow account while its poll hangs: the new engine
    serves the others, the old poll ends on its own, and nothing recorded is lost."""
    db = f"sqlite:///{tmp_path / 'state.db'}"
    slow = f"""
[[accounts]]
name = "slow"
addresses = ["{ME}"]
calendar = {{ provider = "caldav", url = "http://127.0.0.1:{silent.port}/dav/", username = "u", password = "p", timeout = 120 }}
mailbox = {{ provider = "maildir", path = "mail-slow" }}
"""
    path = many_accounts(tmp_path, db, 3, slow)
    mailbox.Maildir(tmp_path / "mail-slow", create=True)
    old = engine_for(path)
    poll = Background(old.poll)
    poll.start()
    assert silent.accepted.wait(60)
    for _ in range(600):  # the other accounts' units end; the slow one's request hangs
        with old.sessions() as session:
            ok = session.scalars(select(AccountState.name).where(AccountState.status == "ok"))
            if len(set(ok)) == 3:
                break
        threading.Event().wait(0.05)
    old.stop()  # as the service does on SIGHUP: the old engine stops after its units
    path.write_text(path.read_text().replace(slow, ""))
    new = engine_for(path)
    new.poll()
    new.run_due()
    assert [drafts_in(tmp_path, i) for i in range(3)] == [2, 2, 2]
    silent.close()
    poll.join(60)
    assert not poll.is_alive() and poll.raised is None
    new.poll()
    new.run_due()
    assert [drafts_in(tmp_path, i) for i in range(3)] == [2, 2, 2]


@pytest.mark.parametrize(
    ("names", "drafts"),
    [
        ((None, None), 2),  # one person's two accounts: each interviewer thanked once
        (("Alex Candidate", "alex candidate "), 2),  # the same name, however it is written
        (("Ana Student", "Ben Student"), 4),  # a careers office's two students, one interview
    ],
)
def test_one_meeting_in_two_accounts_is_thanked_once_per_person(
    tmp_path: Path, db_url: str, names: tuple[str | None, str | None], drafts: int
) -> None:
    """The same-meeting rule (daemon/drafting/rules.py) keeps one person from thanking an
    interviewer twice when the invitation is in two of their accounts; two job seekers in one
    group interview are two people, and each thanks the interviewers."""
    path = many_accounts(tmp_path, db_url, 2)
    # One account after the other: the rule looks at drafts already made (two units checking
    # at once on PostgreSQL could both find none).
    text = path.read_text().replace("concurrency = 6", "concurrency = 1")
    for i, name in enumerate(names):
        if name is not None:
            text = text.replace(f'name = "a{i}"\n', f'name = "a{i}"\nsender_name = "{name}"\n')
    path.write_text(text)
    shared = interview("iv-group", "acme").ics()
    for i in range(2):
        (tmp_path / f"cal{i}" / "work.ics").write_text(
            f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{shared}\r\nEND:VCALENDAR\r\n"
        )
    engine = engine_for(path)
    engine.poll()
    engine.run_due()
    assert drafts_in(tmp_path, 0) == 2  # the first account polled thanks both interviewers
    assert drafts_in(tmp_path, 0) + drafts_in(tmp_path, 1) == drafts


def test_the_cycle_s_poll_times_are_written_at_once_and_a_gone_account_fails_none(
    tmp_path: Path, db_url: str
) -> None:
    """An unchanged poll writes no state itself: the times of a cycle's accounts are written
    together when it ends (daemon/running/cyclewrites.py), and an account whose row went before
    that (renamed, forgotten) costs the others nothing."""
    engine = engine_for(many_accounts(tmp_path, db_url, 3))
    engine.poll()  # the first poll writes each account's state itself (status "ok")
    later = NOW + timedelta(minutes=5)
    engine.clock.advance(timedelta(minutes=5))  # type: ignore[attr-defined]
    engine.cycle_writes.polled("gone", later, succeeded=True)  # polled, then its row went
    engine.poll()
    with engine.sessions() as session:
        times = {
            s.name: (s.last_poll_at, s.last_success_at)
            for s in session.scalars(select(AccountState))
        }
    assert times == {f"a{i}": (later, later) for i in range(3)}


def test_starting_a_thousand_units_does_not_look_at_every_waiting_one_each_time() -> None:
    """Each unit's end starts the next without going through the whole list of those still
    waiting: a thousand accounts' cycle looked at a waiting unit some 100,000 times (issue 14).
    Each look asks whether a thread is free: counted here."""
    looks = 0

    class Counting(Workers):
        @property
        def total(self) -> int:
            nonlocal looks
            looks += 1
            return 4

        @total.setter
        def total(self, _value: int) -> None:
            pass

    done: list[str] = []
    units = [
        Unit(f"a{i}", frozenset({"ics"}), lambda i=i: done.append(f"a{i}")) for i in range(1000)
    ]
    Counting(4).run(units)
    assert len(done) == 1000
    assert looks < 5000, looks  # about two per unit
