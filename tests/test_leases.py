"""Several instances on one PostgreSQL: each account worked by exactly one of them at a time.

Each :class:`RowLeases` here plays one instance (its own id, its own session factory, as a
process would have), against a real PostgreSQL (``FOLLOWUPD_TEST_POSTGRES_URL``; skipped
without it). A death is simulated by no longer renewing, a freeze by letting a lease run out
under an instance that still works.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text, update

from daemon import config as config_mod
from daemon.errors import ConfigError
from daemon.message import is_message_id_of
from daemon.running.accounts import connect_all
from daemon.running.engine import Engine
from daemon.running.leases import LeaseLost, Leases, RowLeases, leases_for, who_works
from daemon.running.renewal import Renewal
from daemon.store.database import open_store
from daemon.store.models import AccountLease, AccountState, FollowUp
from daemon.writing.render import Renderer
from tests.conftest import POSTGRES_ENV, _fresh_postgres_database
from tests.harness import Event, Person, World

ACCOUNTS = [f"user{i:02}" for i in range(10)]
LONG = timedelta(seconds=60)  # no lease runs out during a test that does not wait for it


@pytest.fixture(scope="module")
def pg_database() -> Iterator[str]:
    """One database for the module (creating one costs half a second)."""
    server = os.environ.get(POSTGRES_ENV)
    if not server:
        pytest.skip(f"{POSTGRES_ENV} is not set (bash .ci/run starts a PostgreSQL and sets it)")
    for url in _fresh_postgres_database(server):
        open_store(url).kw["bind"].dispose()  # the schema, once
        yield url


@pytest.fixture
def pg_url(pg_database: str) -> str:
    """The module's database with no lease and no instance: each test starts a new world."""
    engine = open_store(pg_database).kw["bind"]
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM account_leases"))
        conn.execute(text("DELETE FROM instances"))
        conn.execute(text("DELETE FROM accounts"))  # what the tests write as units of work
    engine.dispose()
    return pg_database


OPENED: list[Any] = []  # the instances' engines, closed after each test


@pytest.fixture(autouse=True)
def _close_instances() -> Iterator[None]:
    yield
    while OPENED:
        OPENED.pop().dispose()


def instance(url: str, name: str, period: timedelta = LONG) -> RowLeases:
    """One instance: its own engine and pool, as another process would have."""
    sessions = open_store(url)
    OPENED.append(sessions.kw["bind"])
    leases = leases_for(sessions, period)
    assert isinstance(leases, RowLeases)
    leases.id = name
    return leases


def expire(url: str, *accounts: str) -> None:
    """Let these leases run out now (their holder froze), by the database's clock."""
    with open_store(url)() as session:
        session.execute(
            update(AccountLease)
            .where(AccountLease.account.in_(accounts))
            .values(expires_at=text("clock_timestamp() - interval '1 hour'"))
        )
        session.commit()


def holders(url: str) -> dict[str, str | None]:
    with open_store(url)() as session:
        return dict(session.execute(text("SELECT account, holder FROM account_leases")).all())


def test_two_then_three_instances_split_ten_accounts(pg_url: str) -> None:
    a, b = instance(pg_url, "a"), instance(pg_url, "b")
    assert a.claim(ACCOUNTS) == set(ACCOUNTS)  # alone: all of them
    assert b.claim(ACCOUNTS) == set()  # none is free

    assert a.tick(ACCOUNTS) == set()  # two live instances: a releases its surplus, loses none
    assert len(a.held()) == 5
    assert b.claim(ACCOUNTS) == set(ACCOUNTS) - a.held()

    c = instance(pg_url, "c")
    assert c.claim(ACCOUNTS) == set()
    a.tick(ACCOUNTS)
    b.tick(ACCOUNTS)
    c.tick(ACCOUNTS)
    sizes = sorted(len(x.held()) for x in (a, b, c))
    assert sizes == [2, 4, 4]  # ceil(10 / 3) = 4 at most each: adding an instance spreads them
    assert a.held() | b.held() | c.held() == set(ACCOUNTS)
    assert not (a.held() & b.held() or a.held() & c.held() or b.held() & c.held())
    assert holders(pg_url) == {
        account: x.id for x in (a, b, c) for account in x.held()
    }  # the database says the same as each instance
    for x in (a, b, c):  # and a further round changes nothing
        x.tick(ACCOUNTS)
    assert sorted(len(x.held()) for x in (a, b, c)) == [2, 4, 4]


def test_a_dead_instance_accounts_are_taken_within_one_lease_period(pg_url: str) -> None:
    period = timedelta(seconds=1)
    a, b = instance(pg_url, "a", period), instance(pg_url, "b", period)
    a.claim(ACCOUNTS)
    b.claim(ACCOUNTS)
    a.tick(ACCOUNTS)
    b.tick(ACCOUNTS)
    assert len(a.held()) == len(b.held()) == 5
    theirs = a.held()

    died = time.monotonic()
    a.renew()  # its last renewal: it dies right after it, and renews nothing more
    taken_after, rounds = None, 0
    # b's renewal thread: a round every tick_every, each a little before a's leases would run
    # out if they lasted a whole number of rounds: the worst case, the latest takeover. Rounds
    # are counted, not seconds: a loaded machine delays a round, and a later round only finds
    # the leases more surely run out.
    for rounds in range(1, 9):
        at = died + rounds * b.tick_every.total_seconds() - 0.05
        time.sleep(max(0.0, at - time.monotonic()))
        b.tick(ACCOUNTS)
        if b.held() == set(ACCOUNTS):
            taken_after = time.monotonic() - died
            break
    assert taken_after is not None, f"b holds {sorted(b.held())} only"
    # Not while a's leases lasted (by any clock), and within one lease period: in the round
    # that comes at most `period` after a's last renewal.
    assert taken_after >= b.ttl.total_seconds() - 0.05
    assert rounds * b.tick_every <= period, f"taken in round {rounds}, after {taken_after:.2f} s"
    # By then a's own view had dropped them: it would start no more work on them.
    assert not any(a.holds(account) for account in theirs)


def test_a_lost_lease_is_noticed_and_the_fenced_commit_refused(pg_url: str) -> None:
    a, b = instance(pg_url, "a"), instance(pg_url, "b")
    a.claim(["x"])
    assert a.holds("x")
    with a.sessions() as session, a.fenced(session, "x"):  # while held, commits go through
        session.add(AccountState(name="x", status="ok"))
        session.commit()

    expire(pg_url, "x")  # a froze for longer than its leases last
    assert b.claim(["x"]) == {"x"}
    with a.sessions() as session:
        lost = "'x' is now worked by another followupd instance"
        with pytest.raises(LeaseLost, match=lost), a.fenced(session, "x"):
            session.get(AccountState, "x").status = "error"
            session.commit()
        session.rollback()
    with a.sessions() as session:
        assert session.get(AccountState, "x").status == "ok"  # nothing of a's unit was kept
    assert not a.holds("x")
    assert a.renew() == set()  # already forgotten by the fence; the renewal agrees
    assert holders(pg_url) == {"x": "b"}


def test_the_fence_keeps_the_account_until_its_commit(pg_url: str) -> None:
    """Between the fence's check and the commit, no other instance can take the account: a
    unit that passed the check commits while the lease is still its own."""
    a, b = instance(pg_url, "a"), instance(pg_url, "b")
    a.claim(["x"])
    with a.sessions() as session, a.fenced(session, "x"):
        a.fence(session, "x")  # checked and locked, not yet committed
        expire(pg_url, "x")  # meanwhile the lease runs out
        assert b.claim(["x"]) == set()  # locked: passed over, not waited for
        session.add(AccountState(name="x", status="ok"))
        session.commit()
    assert b.claim(["x"]) == {"x"}  # once committed, the expired lease is taken


def test_a_unit_begun_under_a_lease_since_lost_commits_nothing_even_if_taken_again(
    pg_url: str,
) -> None:
    """The generation: a unit that began before the account went away and came back (a
    release and a new claim, here by the same instance) must not commit under the new lease."""
    a = instance(pg_url, "a")
    a.claim(["x"])
    with a.sessions() as session:
        with pytest.raises(LeaseLost), a.fenced(session, "x"):
            a.release_all()
            assert a.claim(["x"]) == {"x"}  # taken again, a new generation
            session.add(AccountState(name="x", status="ok"))
            session.commit()
        session.rollback()
    assert a.holds("x")  # the new lease stays this instance's
    with a.sessions() as session:
        assert session.get(AccountState, "x") is None
    # And an account not held starts no unit at all.
    with pytest.raises(LeaseLost), a.sessions() as session, a.fenced(session, "y"):
        pass


def test_a_lease_nobody_takes_is_taken_beyond_the_share_after_one_round(pg_url: str) -> None:
    """An instance that stays alive but does not take its share (its config lacks some
    accounts, say): the others take what it leaves, one renewal later."""
    period = timedelta(seconds=1)
    a, b, c = (instance(pg_url, name, period) for name in "abc")
    for x in (a, b, c, a, b, c):
        x.tick(ACCOUNTS)
    assert sorted(len(x.held()) for x in (a, b, c)) == [2, 4, 4]
    idle = min((a, b, c), key=lambda x: len(x.held()))
    left = idle.held()
    idle.release_all()
    idle.renew()  # still alive, still counted, but claims nothing
    busy = [x for x in (a, b, c) if x is not idle]
    assert busy[0].claim(ACCOUNTS) == busy[0].held() and not left & busy[0].held()  # at share
    time.sleep(busy[0].tick_every.total_seconds() + 0.05)
    assert left <= busy[0].claim(ACCOUNTS)  # free for a whole round: taken beyond the share


def test_release_on_stop_lets_the_others_take_at_once(pg_url: str) -> None:
    a, b = instance(pg_url, "a"), instance(pg_url, "b")
    a.claim(ACCOUNTS)
    b.claim(ACCOUNTS)
    a.tick(ACCOUNTS)
    b.claim(ACCOUNTS)
    assert len(b.held()) == 5

    a.release_all()
    assert a.held() == frozenset()
    assert b.claim(ACCOUNTS) == set(ACCOUNTS)  # no waiting for a's leases to run out


def test_an_account_removed_from_the_config_is_released(pg_url: str) -> None:
    a, b = instance(pg_url, "a"), instance(pg_url, "b")
    a.claim(ACCOUNTS)
    a.tick(ACCOUNTS[:-1])
    assert ACCOUNTS[-1] not in a.held()
    assert b.claim(ACCOUNTS[-1:]) == {ACCOUNTS[-1]}


def test_sqlite_has_one_instance_holding_everything(tmp_path) -> None:  # noqa: ANN001
    leases = leases_for(open_store(f"sqlite:///{tmp_path / 'state.db'}"), LONG)
    assert type(leases) is Leases and not leases.shared
    assert leases.claim(ACCOUNTS) == set(ACCOUNTS)
    assert leases.holds("anything") and leases.renew() == set()


# -- exactly once across instances (the real engine, ics + Maildir) ------------------------------

START = datetime(2026, 1, 14, 9, 0, tzinfo=UTC)
END = START + timedelta(hours=1)
JANE = Person("Jane Smith", "jane@acme.example")
THANKS = ("jane@acme.example", "thank_you", 1)


class FreezesAfterCreating:
    """Instance a's mailbox: after the real draft is written, a freezes past its lease and b
    takes the account (what a stopped VM or a long GC pause does to a real instance)."""

    def __init__(self, mailbox: Any, freeze: Callable[[], None]) -> None:
        self._mailbox, self._freeze = mailbox, freeze

    def __getattr__(self, name: str) -> Any:
        return getattr(self._mailbox, name)

    def create_draft(self, request: Any) -> Any:
        ref = self._mailbox.create_draft(request)
        self._freeze()
        return ref


def second_instance(world: World, leases: RowLeases) -> Engine:
    """Another instance on the same calendar, Maildir and database, with its own state dir."""
    path = world.root / "config-b.toml"
    path.write_text(world.config_path.read_text().replace('state_dir = "state"', 'state_dir = "b"'))
    config = config_mod.load(path)
    sessions = open_store(config.daemon.database)
    t, s = config.thank_you, config.status_inquiry
    return Engine(
        config,
        sessions,
        connect_all(config, world.clock, sessions),
        world.clock,
        Renderer(t.template, t.html_template, s.template, s.html_template),
        leases=leases,
    )


def test_a_takeover_mid_draft_makes_exactly_one_draft(tmp_path: Path, pg_url: str) -> None:
    """a commits `creating`, writes the draft, then loses the account to b before it can record
    it: its commit is refused, and b, finding the follow-up `creating`, finds the draft by its
    KEY in the mailbox (not in a's state dir, which b never sees) instead of writing another."""
    world = World(tmp_path, pg_url)
    world.add(Event("acme-1", START, 60, "Interview: Acme (Backend Engineer)", [JANE]))
    a, b = instance(pg_url, "a"), instance(pg_url, "b")
    world.engine.leases = a
    a.claim(["home"])
    world.tick(END + timedelta(minutes=10))  # a plans the thank-you
    other = second_instance(world, b)

    def freeze() -> None:
        expire(pg_url, "home")
        assert b.claim(["home"]) == {"home"}

    connection = world.engine.connections["home"]
    connection.mailbox = FreezesAfterCreating(connection.mailbox, freeze)
    world.tick(END + timedelta(hours=1, minutes=1))
    assert len(world.drafts()) == 1
    assert world.states()[THANKS] == "creating"  # a's `drafted` was refused

    world.clock.set(END + timedelta(hours=1, minutes=2))
    other.poll()
    other.run_due()
    world.engine.run_due()  # a, unaware, tries again: it holds nothing, so it does nothing
    assert len(world.drafts()) == 1
    assert world.states()[THANKS] == "drafted"
    with other.sessions() as session:
        fu = session.scalars(select(FollowUp).where(FollowUp.kind == "thank_you")).one()
        assert fu.transitions[-1].reason == "found the draft made before an interruption"
        assert is_message_id_of(world.drafts()[0]["Message-ID"], fu.key)


# -- the service's side ----------------------------------------------------------------------------


def test_the_renewal_thread_claims_at_start_and_releases_at_stop(pg_url: str) -> None:
    a = instance(pg_url, "a", timedelta(seconds=4))
    released: list[str] = []
    a.on_release = released.append  # the service lets the mailbox's lock go with it
    renewal = Renewal(a, lambda: ["x", "y"])
    renewal.start()
    try:
        assert a.held() == {"x", "y"}  # before the first poll
    finally:
        renewal.stop()
    assert holders(pg_url) == {"x": None, "y": None}
    assert sorted(released) == ["x", "y"]
    with open_store(pg_url)() as session:  # no longer counted among the live instances
        assert session.execute(text("SELECT count(*) FROM instances")).scalar() == 0


@pytest.mark.parametrize(
    ("written", "said"),
    [
        ("90s", None),
        ("1s", "[daemon].lease_period: expected a duration of at least 4s and at most 1h"),
        ("2h", "[daemon].lease_period: expected a duration of at least 4s and at most 1h"),
        ("soon", "[daemon].lease_period: expected a duration like '90m' or '2h', got 'soon'"),
    ],
)
def test_the_lease_period_is_checked(tmp_path: Path, written: str, said: str | None) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        f'[daemon]\nlease_period = "{written}"\n[candidate]\nname = "Alex"\n'
        '[[accounts]]\nname = "home"\naddresses = ["alex@example.org"]\n'
        'calendar = { provider = "ics", path = "cal" }\n'
        'mailbox = { provider = "maildir", path = "mail" }\n'
    )
    if said is None:
        assert config_mod.load(path).daemon.lease_period == timedelta(seconds=90)
        return
    with pytest.raises(ConfigError) as raised:
        config_mod.load(path)
    assert any(said in problem for problem in raised.value.problems), raised.value.problems


def test_status_can_say_which_instance_works_each_account(pg_url: str) -> None:
    a, b = instance(pg_url, "a"), instance(pg_url, "b")
    a.claim(["x", "y"])
    b.claim(["x", "y"])
    a.tick(["x", "y"])  # two instances: one each
    b.claim(["x", "y"])
    with open_store(pg_url)() as session:
        shown = who_works(session)
    assert set(shown) == {"x", "y"} and len(set(shown.values())) == 1  # one host and pid here
    assert shown["x"] == f"{socket.gethostname()} pid {os.getpid()}"
    a.release_all()
    with open_store(pg_url)() as session:
        assert set(who_works(session)) == b.held()


def test_a_restarted_instance_takes_its_accounts_back_at_once(pg_url: str) -> None:
    """A process that replaces a crashed one with the same state folder on the same host (a
    restart, the next `run --once`) need not wait for the dead one's leases to run out: only
    one process at a time holds that folder's lock, so the other is surely dead."""
    crashed = instance(pg_url, "crashed")
    crashed.home = "host:/state/one"
    crashed.claim(ACCOUNTS)  # and dies without releasing
    stranger = instance(pg_url, "stranger")
    stranger.home = "host:/state/two"
    assert stranger.claim(ACCOUNTS) == set()  # another home: it waits, as for any instance

    restarted = RowLeases(open_store(pg_url), LONG, "restarted", home="host:/state/one")
    OPENED.append(restarted.sessions.kw["bind"])
    assert len(restarted.claim(ACCOUNTS)) == 5  # all free now; its share of two instances
    assert set(holders(pg_url).values()) == {"restarted", None}
