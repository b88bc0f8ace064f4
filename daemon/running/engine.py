"""One poll and one round of due work, for every account, with failures kept per account.

The engine is the sync algorithm: it knows the protocols, the store and the clock, but no
provider, no CLI and no scheduler. ``poll`` reads calendars and mailboxes; ``run_due`` drafts
what is due; ``next_due`` tells the scheduler when to wake up again. Every unit of work is its
own transaction, and ``stop()`` is honoured between units, so SIGTERM never leaves anything
half-written.

Failures are classified by :mod:`daemon.errors` into what happens next: an account that needs
re-authorization, hit its quota or is unreachable is marked so (``followupd status`` shows it)
and the other accounts carry on.

What the user should hear about (an interview ended, drafts made, a follow-up failed, an account
needing ``followupd auth``) is told by :class:`~daemon.notify.teller.Teller` around a round and
after a poll, once it is recorded.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy.orm import Session, sessionmaker

from daemon.clock import Clock
from daemon.config import Account, Config
from daemon.drafting.drafter import Drafter
from daemon.drafting.failures import Fingerprints
from daemon.drafting.rules import skip_reason
from daemon.errors import (
    AuthNeeded,
    CursorExpired,
    FollowupdError,
    QuotaExceeded,
    TransientError,
)
from daemon.logsetup import RECORDED, tracebacks
from daemon.notify.fanout import Fanout
from daemon.notify.teller import Teller
from daemon.planning.interviews import Planner, unstorable
from daemon.protocols import CalendarEvent, CalendarSource, Mailbox, Problem
from daemon.replies import ReplyTracker
from daemon.running.healing import heal
from daemon.running.sentwatch import SentWatch
from daemon.running.sharing import MailboxBusy, SharedLock
from daemon.running.upcoming import Upcoming, upcoming
from daemon.store import repository as repo
from daemon.store.database import StoreError
from daemon.store.models import FollowUp, State
from daemon.store.repository import transition
from daemon.worlderrors import world_error
from daemon.writing.render import Renderer

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=1)


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


class Engine:
    def __init__(
        self,
        config: Config,
        sessions: sessionmaker[Session],
        connections: list[Connection],
        clock: Clock,
        renderer: Renderer,
        notifier: Fanout | None = None,
    ) -> None:
        self.config = config
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
        self._prints: Fingerprints | None = None  # of the current round of due work
        self._stop = threading.Event()
        self.progress_at = time.monotonic()  # fed to the systemd watchdog

    # -- control --------------------------------------------------------------------------

    def stop(self) -> None:
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def _progress(self) -> None:
        self.progress_at = time.monotonic()

    # -- polling --------------------------------------------------------------------------

    def poll(self) -> None:
        try:
            for connection in self.connections.values():
                if self.stopping:
                    break
                self._guarded(connection, self._poll_account)
        except BaseException:
            self.teller.not_recorded()
            raise
        self.teller.recorded()

    def _poll_account(self, connection: Connection, session: Session, now: datetime) -> None:
        account = connection.account
        assert connection.calendar is not None and connection.mailbox is not None
        self._sync_calendar(connection.calendar, account, session, now)
        session.commit()
        self._progress()
        if self.stopping:
            return
        tracker = ReplyTracker(self.config, account, connection.mailbox)
        tracker.check_drafts(session, now)
        session.commit()
        self._progress()
        if self.stopping:
            return
        # After the drafts: a thank-you just found sent already starts its inquiry.
        SentWatch(self.config, account, connection.mailbox).check(session, now)
        session.commit()
        self._progress()
        if self.stopping:
            return
        try:
            tracker.check_replies(session, now)
        except CursorExpired as err:
            # As with calendars: forget the mailbox's cursor and read again from the start
            # (Gmail keeps its history about a week). Without this, every later poll would
            # fail on the same stored cursor.
            log.info("%s: mail cursor expired (%s); reading the mailbox again", account.name, err)
            repo.set_cursor(session, account.name, "mail", None, now)
            tracker.check_replies(session, now)
        session.commit()

    def _sync_calendar(
        self, source: CalendarSource, account: Account, session: Session, now: datetime
    ) -> None:
        window = (now - self.config.daemon.sync_past, now + self.config.daemon.sync_ahead)
        cursor = repo.get_cursor(session, account.name, "calendar")
        try:
            changes = source.changes(cursor, window)
        except CursorExpired as err:
            log.info("%s: calendar cursor expired (%s); full resync", account.name, err)
            changes = source.changes(None, window)
        planner = Planner(self.config, account)
        problems = list(changes.problems)
        # Events the store cannot hold are known to exist, so they do not stop remove_missing.
        events: list[CalendarEvent] = []
        unfit: list[Problem] = []
        for event in changes.events:
            problem = unstorable(event)
            if problem is None:
                events.append(event)
            else:
                unfit.append(problem)
        # The account's interviews are loaded only for events to apply: an unchanged calendar
        # (no events, nothing removed, not a complete read) reads nothing of the store. A
        # complete read with no events still goes on to remove_missing below (everything in
        # the window was deleted), which queries what it needs itself.
        if events:
            planner.preload(session)
        try:
            for event in events:
                planner.apply_event(session, event, now)
        except StoreError:
            raise  # the database failed, not an event
        except Exception:
            # A bug met by one event must not stall the whole calendar: redo the batch with a
            # savepoint per event and skip (and record) the ones that fail.
            log.exception("%s: an event could not be processed; retrying one by one", account.name)
            session.rollback()
            problems += self._apply_carefully(planner, session, events, now)
        for problem in problems + unfit:
            log.warning("%s: skipped %s: %s", account.name, problem.item, problem.message)
        repo.record_problems(session, account.name, "calendar", problems + unfit, now)
        planner.remove(session, changes.removed, now)
        # A skipped event may be one the store knows: only then is "missing" not "deleted".
        if changes.complete and not any(not p.warning for p in problems):
            planner.remove_missing(session, (e.id for e in changes.events), window, now)
        repo.set_cursor(session, account.name, "calendar", changes.cursor, now)

    @staticmethod
    def _apply_carefully(
        planner: Planner, session: Session, events: list[CalendarEvent], now: datetime
    ) -> list[Problem]:
        problems = []
        planner.preload(session)
        for event in events:
            try:
                with session.begin_nested():
                    planner.apply_event(session, event, now)
            except StoreError:
                raise
            except Exception as err:
                log.exception("event %s", event.id)
                planner.preload(session)  # drop what the failed event left in the caches
                problems.append(
                    Problem(
                        item=f"event {event.id} ({event.title[:80]!r})",
                        message=f"could not be processed ({type(err).__name__}: {err}); "
                        "expected an event followupd can read — please report this as a bug",
                    )
                )
        return problems

    # -- due work -------------------------------------------------------------------------

    def run_due(self) -> int:
        """Draft everything that is due now. Returns how many follow-ups were looked at."""
        now = self.clock.now()
        todo: list[tuple[int, str, int]] = []
        mark = self.teller.round_begins(now)  # "interview ended: add your notes"
        # What drafts depend on this round (templates, config): a failure records it, and a
        # failure whose cause changed since is retried first (daemon/running/healing.py).
        self._prints = Fingerprints(self.config, self.renderer)
        with self.sessions() as session:
            heal(session, self.config, self._prints, now)  # committed with what is settled
            due = repo.due_followups(session, now)
            # What can no longer be drafted (too late, cancelled meanwhile) is settled in one
            # transaction: after a long downtime that may be most of the list.
            # Interrupted creations first: what they come to decides what their twins do.
            due = sorted(due, key=lambda fu: fu.state != State.CREATING)
            for fu in due:
                skip = skip_reason(self.config, fu, now)
                # An interrupted creation may have made its draft: only the mailbox can tell.
                if skip is None or fu.state == State.CREATING:
                    todo.append((fu.id, fu.interview.account, fu.interview_id))
                else:
                    transition(session, fu, *skip, now)
                    log.info("follow-up %s not drafted: %s", fu.id, skip[1])
            session.commit()
        for fu_id, account in fair(todo):
            if self.stopping:
                break
            connection = self.connections.get(account)
            if connection is None:
                continue  # an account removed from the config: its work waits, untouched
            self._guarded(connection, partial(self._draft_one, fu_id=fu_id), poll=False)
            self._progress()
        self.teller.round_ends(mark)  # "2 thank-you drafts are waiting in Drafts"
        return len(due)

    def _draft_one(
        self, connection: Connection, session: Session, now: datetime, fu_id: int
    ) -> None:
        fu = session.get(FollowUp, fu_id)
        if fu is None or connection.mailbox is None:
            return
        drafter = Drafter(
            self.config, connection.account, connection.mailbox, self.renderer, self._prints
        )
        drafter.draft(session, fu, now)

    def next_due(self) -> datetime | None:
        """When the service must wake up: the earliest due follow-up, or the next interview end
        to tell the user about, whichever comes first."""
        with self.sessions() as session:
            times = (repo.next_due(session), self.teller.next_end(session, self.clock.now()))
        return min((t for t in times if t is not None), default=None)

    def upcoming(self) -> Upcoming:
        """The next draft, as the running service says it ("next: thank-you to ...")."""
        with self.sessions() as session:
            return upcoming(session, self.config, self.clock.now())

    # -- failures, per account ------------------------------------------------------------

    def _guarded(
        self,
        connection: Connection,
        work: Callable[[Connection, Session, datetime], None],
        poll: bool = True,
    ) -> None:
        """Run ``work`` for one account; turn its failure into that account's visible state.

        A :class:`StoreError` (database locked, full, damaged, unreachable) is not the account's
        failure and is raised: the poll stops, the transaction of the unit is rolled back.
        """
        name = connection.account.name
        now = self.clock.now()
        with self.sessions() as session:
            state = repo.account_state(session, name)
            if poll:
                state.last_poll_at = now
                if connection.error is not None:
                    self._fail(state, connection.error, now)
                    session.commit()
                    return
            # A poll retries an account that needs re-authorization (`followupd auth` may have
            # fixed it meanwhile); drafting waits until a poll has succeeded again.
            waiting = state.backoff_until is not None and state.backoff_until > now
            if waiting or (not poll and (state.status == "needs_reauth" or connection.error)):
                session.commit()
                return
            session.commit()
            try:
                if connection.lock is not None:
                    connection.lock.acquire()
                work(connection, session, now)
            except StoreError:
                # The database failed, not the account: nothing can be recorded about it, and
                # the other accounts would fail the same way. The caller reports it once.
                raise
            except FollowupdError as err:
                session.rollback()
                state = repo.account_state(session, name)
                self._fail(state, err, now)
                session.commit()
                return
            except OSError as err:  # the world's (a folder it cannot write, a full disk)
                log.debug("%s: %s", name, err, exc_info=tracebacks())
                session.rollback()
                state = repo.account_state(session, name)
                self._fail(state, world_error(err), now)
                session.commit()
                return
            except Exception as err:  # one broken account or item must not stop the daemon
                log.exception("%s: internal error", name)
                session.rollback()
                state = repo.account_state(session, name)
                self._fail(
                    state, FollowupdError(f"internal error: {type(err).__name__}: {err}"), now
                )
                session.commit()
                return
            if poll:
                state = repo.account_state(session, name)
                state.status, state.last_error, state.fix = "ok", None, None
                state.failures, state.backoff_until = 0, None
                state.last_success_at = now
                session.commit()

    def _fail(self, state, err: FollowupdError, now: datetime) -> None:  # noqa: ANN001
        if (
            isinstance(err, MailboxBusy)
            and state.status == "error"
            and state.last_error == str(err)
        ):
            return  # said once; the other instance may hold it for days
        state.failures = (state.failures or 0) + 1
        state.last_error = str(err)
        if isinstance(err, AuthNeeded):
            if state.status != "needs_reauth":  # told on the change, not at every poll after it
                self.teller.needs_auth(state.name, err.fix)
            state.status, state.fix = "needs_reauth", err.fix
            log.error("%s needs re-authorization: %s", state.name, err, extra=RECORDED)
            return
        if isinstance(err, QuotaExceeded):
            state.status = "backoff"
            state.backoff_until = err.until or now + MAX_BACKOFF
        elif isinstance(err, TransientError):
            state.status = "backoff"
            wait = (
                timedelta(seconds=err.retry_after)
                if err.retry_after
                else self._backoff(state.failures)
            )
            state.backoff_until = now + min(wait, MAX_BACKOFF)
        else:
            state.status = "error"
        log.error("%s: %s", state.name, err, extra=RECORDED)

    def _backoff(self, failures: int) -> timedelta:
        return min(self.config.daemon.poll_interval * (2 ** max(failures - 1, 0)), MAX_BACKOFF)


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
