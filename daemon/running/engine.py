"""One poll and one round of due work, for every account, with failures kept per account.

The engine is the sync algorithm: it knows the protocols, the store and the clock, but no
provider, no CLI and no scheduler. ``poll`` reads calendars and mailboxes; ``run_due`` drafts
what is due; ``next_due`` tells the scheduler when to wake up again. Accounts are worked side
by side (:mod:`daemon.running.workers`), one unit of work per account at a time: a poll, step by
step (:mod:`daemon.running.polling`), or one draft. Every step commits on its own, and
``stop()`` is honoured between steps and units, so SIGTERM never leaves anything half-written.

An account's failure becomes that account's state (:mod:`daemon.running.failures`) and the
other accounts carry on. With several instances on one PostgreSQL, each works only the
accounts it holds a lease on (:mod:`daemon.running.leases`).

What the user should hear about (an interview ended, drafts made, a follow-up failed, an account
needing ``followupd auth``) is told by :class:`~daemon.notify.teller.Teller` around a round and
after a poll, once it is recorded.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial

from sqlalchemy.orm import Session, joinedload, sessionmaker

from daemon import metrics
from daemon.clock import Clock
from daemon.config import Account, Config
from daemon.drafting.drafter import Drafter
from daemon.drafting.failures import Fingerprints
from daemon.drafting.rules import skip_reason
from daemon.errors import (
    FollowupdError,
)
from daemon.notify.fanout import Fanout
from daemon.notify.teller import Teller
from daemon.protocols import CalendarSource, Mailbox
from daemon.running.cyclewrites import CycleWrites
from daemon.running.failures import AccountFailures, failure_kind
from daemon.running.healing import heal
from daemon.running.leases import Leases
from daemon.running.polling import AccountPoll
from daemon.running.sharing import SharedLock
from daemon.running.upcoming import Upcoming, upcoming
from daemon.running.workers import Unit, Workers
from daemon.store import repository as repo
from daemon.store.models import FollowUp, Interview, State
from daemon.store.repository import transition
from daemon.store.writer import Writer
from daemon.writing.render import Renderer

log = logging.getLogger(__name__)

# Due follow-ups settled to a transaction (:meth:`Engine._run_due`).
SETTLE_CHUNK = 500
# What every draft reads of its follow-up (the rules, the template's context), in two queries
# where loading each as it was first touched took four.
_DRAFTING = (
    joinedload(FollowUp.interview).joinedload(Interview.process),
    joinedload(FollowUp.interview).selectinload(Interview.interviewers),
    joinedload(FollowUp.interviewer),
)


@dataclass
class Connection:
    """An account's connectors, or why they could not be built."""

    account: Account
    calendar: CalendarSource | None
    mailbox: Mailbox | None
    error: FollowupdError | None = None
    # The mailbox's lock across instances (daemon.running.sharing), taken before any unit of work;
    # None where nothing is written (``check``).
    lock: SharedLock | None = None


class Engine(AccountFailures):
    def __init__(
        self,
        config: Config,
        sessions: sessionmaker[Session],
        connections: list[Connection],
        clock: Clock,
        renderer: Renderer,
        notifier: Fanout | None = None,
        leases: Leases | None = None,
    ) -> None:
        self.config = config
        # Which accounts this instance works (several instances on one PostgreSQL); alone on
        # its database it holds them all. The service gives it the process's own.
        self.leases = leases or Leases()
        self.sessions = sessions
        self.connections = {c.account.name: c for c in connections}
        self.clock = clock
        self.renderer = renderer
        self.teller = Teller(
            config,
            sessions,
            tuple(self.connections),
            notifier or Fanout([], config.notify.timeout),
            self._progress,
        )
        self._stop = threading.Event()
        self._round = threading.Lock()  # one round of due work at a time (run_due)
        self._accounts = threading.Lock()  # one change of the set of accounts at a time
        self.writer = Writer(sessions)
        self.teller.writing = self.writer.session
        self.workers = Workers(
            config.daemon.concurrency, config.daemon.provider_concurrency, self._stop.is_set
        )
        self.cycle_writes = CycleWrites(self.writer)  # written when a cycle ends
        self.account_poll = AccountPoll(
            config, sessions, self.writer, self.cycle_writes, self._progress, self._stop.is_set
        )
        self.progress_at = time.monotonic()  # fed to the systemd watchdog

    # -- control --------------------------------------------------------------------------

    def stop(self) -> None:
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def _progress(self) -> None:
        self.progress_at = time.monotonic()

    def update_accounts(self, config: Config, connections: list[Connection]) -> None:
        """Work ``connections`` from now on (``config``: the same settings, these accounts;
        daemon/running/accountswatch.py, the folder of account files changed). The mapping is
        replaced, never changed in place, so a cycle that began with the old one finishes with
        it: a removed account's unit in flight just ends, and its state stays in the store."""
        with self._accounts:
            config = replace(config, accounts=tuple(c.account for c in connections))
            self.connections = {c.account.name: c for c in connections}
            self.config = self.account_poll.config = self.teller.config = config
            self.teller.accounts = tuple(self.connections)

    # -- polling --------------------------------------------------------------------------

    def poll(self, only: Collection[str] | None = None) -> int:
        """Poll every account (``only`` these: a change woke them, daemon/running/wakeups.py),
        many at once (daemon/running/workers.py), each isolated.
        Returns how many accounts it polled: those this instance holds."""
        held = [
            c
            for c in list(self.connections.values())
            if (only is None or c.account.name in only) and self.leases.holds(c.account.name)
        ]
        # What the polls start from, read for all of them at once (daemon/running/pollreads.py).
        self.account_poll.cycle_reads.read([c.account.name for c in held], self.clock.now())
        try:
            self.workers.run(
                self._unit(connection, partial(self._guarded, connection, self._poll_account))
                for connection in held
            )
        except BaseException:
            self.teller.not_recorded()
            raise
        self.cycle_writes.flush()
        self.teller.recorded()
        return len(held)

    def _poll_account(self, connection: Connection, now: datetime) -> None:
        assert connection.calendar is not None and connection.mailbox is not None
        account = connection.account
        providers = (account.calendar.provider, account.mailbox.provider)
        try:
            self.account_poll.run(account, connection.calendar, connection.mailbox, now)
        except BaseException as err:  # counted, then recorded by _guarded as before
            metrics.poll(providers, failure_kind(err))
            raise
        metrics.poll(providers, "ok")

    @staticmethod
    def _unit(connection: Connection, work: Callable[[], None]) -> Unit:
        account = connection.account
        providers = frozenset({account.calendar.provider, account.mailbox.provider})
        return Unit(account.name, providers, work)

    # -- due work -------------------------------------------------------------------------

    def run_due(self) -> int:
        """Draft everything that is due now. Returns how many follow-ups were looked at.

        One round at a time: the service's poll and its due wake-up may both call this, and a
        follow-up must be looked at by one round only."""
        with self._round:
            return self._run_due()

    def _run_due(self) -> int:
        now = self.clock.now()
        todo: list[tuple[int, str, int]] = []
        if self.leases.shared:  # tell about this instance's accounts only
            self.teller.accounts = tuple(a for a in self.connections if self.leases.holds(a))
        mark = self.teller.round_begins(now)  # "interview ended: add your notes"
        # What drafts depend on this round (templates, config): a failure records it, and a
        # failure whose cause changed since is retried first (daemon/running/healing.py).
        prints = Fingerprints(self.config, self.renderer)
        with self.writer.session() as session:
            heal(session, self.config, prints, now)
            session.commit()
            # With several instances (daemon/running/leases.py), each settles its own accounts.
            due = [d for d in repo.due_followups(session, now) if self.leases.holds(d[1])]
        # What can no longer be drafted (too late, cancelled meanwhile) is settled here, a
        # chunk to a transaction: after a long downtime, or on a careers office's first day,
        # that may be most of the list, and one session holding all of it as objects had been
        # the service's peak memory (90 MB for 14,000 follow-ups of 1,000 accounts).
        for begin in range(0, len(due), SETTLE_CHUNK):
            chunk = [fu_id for fu_id, _ in due[begin : begin + SETTLE_CHUNK]]
            with self.writer.session() as session:
                for fu in repo.followups_by_id(session, chunk):
                    skip = skip_reason(self.config, fu, now)
                    # An interrupted creation may have made its draft: only the mailbox can tell.
                    if skip is None or fu.state == State.CREATING:
                        todo.append((fu.id, fu.interview.account, fu.interview_id))
                    else:
                        transition(session, fu, *skip, now)
                        log.info("follow-up %s not drafted: %s", fu.id, skip[1])
                session.commit()
        units = []
        for fu_id, account in fair(todo):
            connection = self.connections.get(account)
            if connection is None:
                continue  # an account removed from the config: its work waits, untouched
            draft = partial(self._draft_one, fu_id=fu_id, prints=prints)
            units.append(self._unit(connection, partial(self._guarded, connection, draft, False)))
        self.workers.run(units, urgent=True)  # before any poll's units waiting for a thread
        self.teller.round_ends(mark)  # "2 thank-you drafts are waiting in Drafts"
        return len(due)

    def _draft_one(
        self, connection: Connection, now: datetime, fu_id: int, prints: Fingerprints
    ) -> None:
        # The drafter commits its intent, asks the mailbox with no transaction open, then
        # records the draft: other accounts write meanwhile (store/writer.py). The account's
        # poll in this cycle, if it comes later, reads what this records.
        self.account_poll.cycle_reads.forget(connection.account.name)
        with self.writer.session() as session:
            fu = session.get(FollowUp, fu_id, options=_DRAFTING)
            if fu is None or connection.mailbox is None:
                return
            if fu.state not in (State.SCHEDULED, State.CREATING):
                return  # settled since the round began (the user skipped it, say)
            drafter = Drafter(
                self.config, connection.account, connection.mailbox, self.renderer, prints
            )
            drafter.draft(session, fu, now)
            self._progress()
            _count_draft(connection, fu, now)

    def next_due(self) -> datetime | None:
        """When the service must wake up: the earliest due follow-up, or the next interview end
        to tell the user about, whichever comes first."""
        # With several instances, only this one's accounts: another's due work must not
        # wake it again and again.
        mine = self.leases.held() if self.leases.shared else None
        with self.sessions() as session:
            times = (
                repo.next_due(session, mine),
                self.teller.next_end(session, self.clock.now()),
            )
        return min((t for t in times if t is not None), default=None)

    def upcoming(self) -> Upcoming:
        """The next draft, as the running service says it ("next: thank-you to ...")."""
        with self.sessions() as session:
            return upcoming(session, self.config, self.clock.now())


def _count_draft(connection: Connection, fu: FollowUp, now: datetime) -> None:
    """A draft made (and how late), or a draft that failed, for the metrics."""
    provider = connection.account.mailbox.provider
    if fu.state == State.DRAFTED and fu.drafted_at is not None:
        metrics.draft(provider, fu.kind, (fu.drafted_at - fu.due_at).total_seconds())
    elif fu.state == State.FAILED:
        metrics.failure((provider,), f"draft_{fu.failure or 'other'}")


def fair(todo: list[tuple[int, str, int]]) -> list[tuple[int, str]]:
    """Due work in turns, one follow-up per interview per round, in due order otherwise.

    One invitation with hundreds of interviewers must not keep another interview's thank-you
    waiting until all of them are drafted."""
    queues: dict[int, list[tuple[int, str]]] = {}
    for fu_id, account, interview_id in todo:
        queues.setdefault(interview_id, []).append((fu_id, account))
    order: list[tuple[int, str]] = []
    rounds = [iter(q) for q in queues.values()]
    while rounds:
        still = []
        for queue in rounds:
            item = next(queue, None)
            if item is not None:
                order.append(item)
                still.append(queue)
        rounds = still
    return order
