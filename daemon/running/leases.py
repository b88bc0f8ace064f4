"""Which instance works which account, when several instances share one PostgreSQL.

Why: one process is a ceiling for a careers office with thousands of accounts, so several
instances (on one machine or several) may run on one PostgreSQL with the same config. Two of
them working one account at once would poll it twice and race over its drafts; so each account
is *leased* to one instance at a time, and the coordination is PostgreSQL's own (row locks and
the database's clock), nothing else to run.

How, with ``P`` = ``[daemon].lease_period``:

- Every instance renews its leases every ``P/4`` (:attr:`RowLeases.tick_every`); a lease lasts
  ``3P/4`` (:attr:`RowLeases.ttl`) from its last renewal, so two renewals in a row may fail
  before it is lost. A dead instance renews nothing: its leases run out at most ``3P/4`` after
  its death, and the next claim of another instance, at most ``P/4`` later, takes them: a
  killed instance's accounts are taken over within one lease period. Every time comes from the
  database's clock (``clock_timestamp()``), so instances with skewed clocks agree.
- A claim takes free or expired rows with ``SELECT ... FOR UPDATE SKIP LOCKED``: two instances
  claiming at once never take the same account and never wait for each other. It takes at most
  a fair share, ``ceil(N / K)`` of ``N`` accounts for ``K`` live instances (each has a row in
  ``instances``, seen at its last renewal), so a new instance gets work: the others release
  their surplus at their next renewal and it takes it at its next claim. A row left free for
  longer than one renewal (nobody under their share wanted it) is taken by anyone.
- Each new holder raises the row's ``generation``. A unit of work is *fenced*
  (:meth:`RowLeases.fenced`): before each of its commits, inside that transaction, the row is
  read ``FOR KEY SHARE`` and must still name this instance with the generation it took. The
  lock stays until the commit, and a claim's ``FOR UPDATE SKIP LOCKED`` passes over a row so
  locked, so no other instance can take the account between the check and the commit. A lease
  lost while a unit worked (this instance frozen longer than ``3P/4``) makes that commit fail
  with :class:`LeaseLost`, and the unit's transaction is rolled back whole.

A process that replaces another with the same state folder on the same host (a restart, the
``run --once`` after one that crashed) frees that one's leases at once: only one process at a
time holds the folder's lock, so the other is surely gone (``instances.home``).

Exactly-once drafting across a takeover needs nothing more: a follow-up is committed
``creating`` before its draft is made, and whoever finds it ``creating`` looks the draft up in
the mailbox by its KEY first (docs/architecture.md, "Exactly once"), whichever instance that is.

On SQLite there is one instance (:class:`~daemon.running.sharing.InstanceLock` refuses a
second one on a state folder or a database file): :class:`Leases` itself holds every account and
checks nothing.
"""

from __future__ import annotations

import logging
import math
import os
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from daemon.errors import FollowupdError
from daemon.running import leaserows as rows
from daemon.running.leaserows import who_works

log = logging.getLogger(__name__)

__all__ = ["LeaseLost", "Leases", "RowLeases", "home_of", "leases_for", "who_works"]


Fence = Callable[[Session], None]  # run before a commit; raises LeaseLost when not ours


class LeaseLost(FollowupdError):
    """This instance no longer holds the account: another one works it now (or will)."""

    def __init__(self, account: str) -> None:
        super().__init__(
            f"account {account!r} is now worked by another followupd instance (this one's "
            "lease ran out); this instance leaves it alone"
        )
        self.account = account


def new_instance_id() -> str:
    """Unique per process, readable in ``status``: host, pid and a random part."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Leases:
    """What the engine asks about its accounts; on its own, one instance alone on its database
    (SQLite): every account is this instance's and nothing is checked."""

    shared = False  # nothing is coordinated: no renewal thread is needed
    tick_every = timedelta(minutes=1)  # how often the renewal thread runs (when shared)

    def __init__(self) -> None:
        self._accounts: frozenset[str] = frozenset()
        # Called with each account this instance stops holding (released, or lost): what
        # this process holds for it besides (the mailbox's lock) goes too.
        self.on_release: Callable[[str], None] | None = None

    def claim(self, accounts: Iterable[str]) -> set[str]:
        self._accounts = frozenset(accounts)
        return set(self._accounts)

    def renew(self) -> set[str]:
        return set()

    def tick(self, accounts: Iterable[str]) -> set[str]:
        self.claim(accounts)
        return set()

    def holds(self, account: str) -> bool:
        return True

    def held(self) -> frozenset[str]:
        return self._accounts

    def fence(self, session: Session, account: str) -> None:
        pass

    @contextmanager
    def fenced(self, session: Session, account: str) -> Iterator[None]:
        yield

    @contextmanager
    def unit(self, account: str) -> Iterator[Fence | None]:
        """A unit of work of ``account`` that opens sessions of its own: what to check before
        each of their commits (None: nothing to check). See :meth:`RowLeases.unit`."""
        yield None

    def release_all(self) -> None:
        pass

    def adopt(self, sessions: sessionmaker[Session], period: timedelta) -> None:
        """Go on with a reloaded config's database sessions and lease period."""


class RowLeases(Leases):
    """Leases in ``account_leases``, taken and renewed through PostgreSQL (see the module)."""

    shared = True

    def __init__(
        self,
        sessions: sessionmaker[Session],
        period: timedelta,
        instance_id: str | None = None,
        home: str | None = None,
    ) -> None:
        super().__init__()
        self.adopt(sessions, period)
        self.id = instance_id or new_instance_id()
        # Host and state folder (:func:`home_of`): an earlier process with the same home is
        # dead, since this one holds the state folder's lock; its leases are freed at once.
        self.home = home
        self._succeeded = home is None
        self._lock = threading.Lock()  # the engine's workers and the renewal thread share us
        self._held: dict[str, int] = {}  # account -> the generation this instance took
        self._until: dict[str, float] = {}  # account -> monotonic time its lease surely lasts
        self._busy: Counter[str] = Counter()  # accounts with a fenced unit of work in flight

    def adopt(self, sessions: sessionmaker[Session], period: timedelta) -> None:
        """Renew and claim through ``sessions`` (the old engine's are closed after a reload),
        with leases of ``period``: renewed every quarter, lasting three quarters."""
        self.sessions = sessions
        self.period = period
        self.ttl = period * 3 / 4
        self.tick_every = period / 4

    # -- what the engine asks -------------------------------------------------------------

    def holds(self, account: str) -> bool:
        """Whether to start a unit of work for ``account``: held, and its lease not run out
        by this process's clock since the last renewal (a conservative view: the fence at
        commit time is what counts)."""
        with self._lock:
            return account in self._held and time.monotonic() < self._until.get(account, 0.0)

    def held(self) -> frozenset[str]:
        with self._lock:
            return frozenset(self._held)

    def fence(self, session: Session, account: str, generation: int | None = None) -> None:
        """Inside ``session``'s transaction: check the lease still names this instance with
        ``generation`` (by default the one it holds now), and lock it (``FOR KEY SHARE``) until
        that transaction ends, so no other instance can take it before the commit. Raises
        :class:`LeaseLost`."""
        if generation is None:
            with self._lock:
                generation = self._held.get(account)
        if generation is not None:
            if rows.still_held(session, account, self.id, generation):
                return
            self._forget({account}, generation)
            self._released({account})
            log.warning("%s: lease lost to another instance; its unit of work is undone", account)
        raise LeaseLost(account)

    @contextmanager
    def fenced(self, session: Session, account: str) -> Iterator[None]:
        """A unit of work of ``account``: every commit of ``session`` in this block is fenced
        (:meth:`fence`) with the generation held when the block began, so a unit that began
        under a lease since lost (even one this instance took again after) commits nothing.
        Raises :class:`LeaseLost` at once when the account is not held, else from the commit."""
        with self.unit(account) as check:
            assert check is not None
            event.listen(session, "before_commit", check)
            try:
                yield
            finally:
                event.remove(session, "before_commit", check)

    @contextmanager
    def unit(self, account: str) -> Iterator[Fence | None]:
        """As :meth:`fenced`, for a unit that opens sessions of its own (the engine's poll
        steps each read, then write in a short session): the check to run before each of
        their commits, bound to the generation held when the unit began."""
        with self._lock:
            generation = self._held.get(account)
            if generation is None:
                raise LeaseLost(account)
            self._busy[account] += 1

        def check(committing: Session) -> None:
            self.fence(committing, account, generation)

        try:
            yield check
        finally:
            with self._lock:
                self._busy[account] -= 1
                if self._busy[account] <= 0:
                    del self._busy[account]

    # -- what the renewal thread does -----------------------------------------------------

    def tick(self, accounts: Iterable[str]) -> set[str]:
        """One round of the renewal thread: renew (releasing surplus), then claim. Returns
        the accounts lost since the last round."""
        self._accounts = frozenset(accounts)
        lost = self.renew()
        self.claim(self._accounts)
        return lost

    def renew(self) -> set[str]:
        """Extend every lease this instance holds; release what is beyond its fair share (an
        instance joined) or no longer configured. Returns the leases lost to another."""
        started = time.monotonic()
        with self.sessions() as session:
            now = self._registered(session)
            kept = rows.extend(session, self.id, now + self.ttl)
            surplus = self._surplus(session, now, kept)
            if surplus:
                rows.free(session, self.id, now, surplus)
            session.commit()
        with self._lock:
            lost = {a for a, g in self._held.items() if kept.get(a) != g}
            self._held = {a: g for a, g in kept.items() if a not in surplus}
            self._until = {a: started + self.ttl.total_seconds() for a in self._held}
        for account in sorted(lost):
            log.warning("%s: lease lost to another instance", account)
        self._released(lost | set(surplus))
        if surplus:
            log.info("released %d account(s) to other instances: %s", len(surplus), surplus)
        return lost

    def claim(self, accounts: Iterable[str]) -> set[str]:
        """Take free and expired leases among ``accounts``, up to this instance's fair share,
        and any left free longer than one renewal. Returns every account held after it."""
        names = sorted(set(accounts))
        self._accounts = frozenset(names)
        started = time.monotonic()
        with self.sessions() as session:
            now = self._registered(session)
            rows.ensure(session, names, now)
            mine = rows.extend(session, self.id, now + self.ttl, names)
            want = self._share(session, now, len(names)) - len(mine)
            stale = now - self.tick_every
            taken = rows.take(session, self.id, now, now + self.ttl, names, want, stale)
            session.commit()
        with self._lock:
            self._held = mine | taken
            self._until = {a: started + self.ttl.total_seconds() for a in self._held}
            held = set(self._held)
        if taken:
            log.info("took %d account(s): %s", len(taken), sorted(taken))
        return held

    def release_all(self) -> None:
        """On a clean stop: free every lease at once (others take them at their next claim,
        without waiting for them to run out) and leave the count of live instances."""
        with self.sessions() as session:
            rows.free(session, self.id, rows.db_now(session))
            rows.leave(session, self.id)
            session.commit()
        held = set(self.held())
        self._forget(held)
        self._released(held)

    # -- inside -----------------------------------------------------------------------------

    def _registered(self, session: Session) -> datetime:
        """The database's time, this instance counted alive at it (and, at the first round,
        the process it replaces gone)."""
        now = rows.db_now(session)
        rows.register(session, now, self.id, self.home, replaces=not self._succeeded)
        self._succeeded = True
        return now

    def _share(self, session: Session, now: datetime, accounts: int) -> int:
        """``ceil(N / K)``: this instance's fair share of ``accounts`` among the live ones."""
        return math.ceil(accounts / max(rows.live_instances(session, now, self.ttl), 1))

    def _surplus(self, session: Session, now: datetime, kept: dict[str, int]) -> list[str]:
        """What to give up: accounts no longer configured, and what is beyond the fair share,
        those with no unit of work in flight first (theirs would be undone by the fence)."""
        gone = [a for a in kept if a not in self._accounts]
        over = len(kept) - len(gone) - self._share(session, now, len(self._accounts))
        if over <= 0:
            return sorted(gone)
        with self._lock:
            busy = set(self._busy)
        ours = sorted(a for a in kept if a in self._accounts)
        return sorted(gone + _last(ours, over, busy))

    def _released(self, accounts: set[str]) -> None:
        for account in sorted(accounts):
            if self.on_release is not None and account not in self.held():
                try:
                    self.on_release(account)
                except Exception:  # what it frees goes with the process anyway
                    log.exception("%s: releasing what this instance held for it", account)

    def _forget(self, accounts: set[str], generation: int | None = None) -> None:
        """Drop ``accounts`` from what this instance holds (only at ``generation``, if given:
        a lease taken again since is kept)."""
        with self._lock:
            for account in accounts:
                if generation is None or self._held.get(account) == generation:
                    self._held.pop(account, None)
                    self._until.pop(account, None)


def _last(ours: list[str], count: int, busy: set[str]) -> list[str]:
    """``count`` of ``ours`` to release: idle ones first, the last by name among them."""
    idle = [a for a in ours if a not in busy]
    working = [a for a in ours if a in busy]
    order = idle[::-1] + working[::-1]
    return order[:count]


def home_of(state_dir: Path) -> str:
    """What identifies an instance across its restarts: this host and its state folder, which
    one process at a time may have (:class:`~daemon.running.sharing.InstanceLock`)."""
    return f"{socket.gethostname()}:{state_dir.resolve()}"


def leases_for(
    sessions: sessionmaker[Session], period: timedelta, state_dir: Path | None = None
) -> Leases:
    """:class:`RowLeases` on PostgreSQL (any number of instances), else :class:`Leases`.
    ``state_dir``: the folder this process holds the lock of (see :func:`home_of`)."""
    bind = sessions.kw.get("bind")
    if bind is not None and bind.dialect.name == "postgresql":
        return RowLeases(sessions, period, home=home_of(state_dir) if state_dir else None)
    return Leases()
