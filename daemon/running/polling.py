"""One account's poll: read what to ask, ask the servers, record the answers, step by step.

Each step (the calendar, the drafts waiting for the user, the user's own sent mail while an
inquiry waits, the replies) has the same three phases:

1. a short read of the store (what the cursor is, which drafts wait, who may answer): the
   four steps' reads are made together before the first request, by the cycle for all its
   accounts at once, and made again only after a step wrote (:mod:`daemon.running.pollreads`);
2. the questions to the calendar or the mailbox, with no transaction open, so a slow server
   holds up no other account (the engine polls many accounts at once);
3. one short writing session (:class:`daemon.store.writer.Writer`) that reads again what it
   changes and records the answers: a follow-up the user changed meanwhile (``followupd
   skip``) is seen as the user left it.

Each step commits on its own and the engine's ``stop()`` is honoured between steps, as before:
a calendar read and recorded stays recorded even if the mailbox then fails.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from daemon.config import Account, Config
from daemon.errors import CursorExpired
from daemon.planning.interviews import Planner, unstorable
from daemon.protocols import CalendarChanges, CalendarEvent, CalendarSource, Mailbox, Problem
from daemon.replies import ReplyQuestion, ReplyTracker, WaitingDraft
from daemon.running.cyclewrites import CycleWrites
from daemon.running.pollreads import CycleReads, PollReads
from daemon.running.sentwatch import SentQuestion, SentWatch
from daemon.store import repository as repo
from daemon.store.database import StoreError
from daemon.store.writer import Writer

log = logging.getLogger(__name__)


class AccountPoll:
    def __init__(
        self,
        config: Config,
        sessions: sessionmaker[Session],
        writer: Writer,
        cycle_writes: CycleWrites,
        progress: Callable[[], None],
        stopping: Callable[[], bool],
    ) -> None:
        self.config = config
        self.sessions = sessions
        self.writer = writer
        self.cycle_writes = cycle_writes
        self.progress = progress
        self.stopping = stopping
        self.cycle_reads = CycleReads(sessions)  # filled by the engine before a cycle's polls

    def run(
        self, account: Account, calendar: CalendarSource, mailbox: Mailbox, now: datetime
    ) -> None:
        tracker = ReplyTracker(self.config, account, mailbox)
        watch = SentWatch(self.config, account, mailbox)
        # One read for all four steps: the cycle's, made for all its accounts, if there is one.
        share = self.cycle_reads.take(account.name)
        reads = PollReads(self.sessions, tracker, watch, now, share)
        if self.calendar(calendar, account, now, reads.calendar_cursor()):
            reads.wrote()
        self.progress()
        if self.stopping():
            return
        if self.drafts(tracker, reads.waiting_drafts(), now):
            reads.wrote()
        self.progress()
        if self.stopping():
            return
        # After the drafts: a thank-you just found sent already starts its inquiry.
        if self.sent(watch, reads.sent_question(), now):
            reads.wrote()
        self.progress()
        if self.stopping():
            return
        self.replies(tracker, reads.reply_question(), now)

    # -- the steps: each is given what it asks and says whether it recorded anything -------

    def calendar(
        self, source: CalendarSource, account: Account, now: datetime, cursor: str | None
    ) -> bool:
        window = (now - self.config.daemon.sync_past, now + self.config.daemon.sync_ahead)
        try:
            changes = source.changes(cursor, window)
        except CursorExpired as err:
            log.info("%s: calendar cursor expired (%s); full resync", account.name, err)
            changes = source.changes(None, window)
        if nothing_new(changes):
            if changes.cursor == cursor:
                return False  # the usual poll: nothing to record, no writer to wait for
            if cursor is not None and changes.cursor is not None:
                # Only a newer cursor (Graph's delta link is new at every round): written with
                # the cycle's other such news in one transaction, not a session of its own.
                self.cycle_writes.cursor_moved(
                    account.name, "calendar", cursor, changes.cursor, now
                )
                return False
        with self.writer.session() as session:
            self._record_calendar(changes, account, session, window, now)
            session.commit()
        return True

    def drafts(self, tracker: ReplyTracker, waiting: list[WaitingDraft], now: datetime) -> bool:
        answers = tracker.ask_drafts(waiting)
        if not answers:
            return False  # the usual poll: every draft still waits; nothing to write
        with self.writer.session() as session:
            tracker.record_drafts(session, answers, now)
            session.commit()
        return True

    def sent(self, watch: SentWatch, question: SentQuestion | None, now: datetime) -> bool:
        if question is None:
            return False
        result = watch.ask(question)
        if not watch.worth_recording(question, result):
            return False  # the usual poll: nothing found can start an inquiry; no writer
        with self.writer.session() as session:
            watch.record(session, result, now)
            session.commit()
        return True

    def replies(self, tracker: ReplyTracker, question: ReplyQuestion | None, now: datetime) -> None:
        if question is None:
            return
        result = tracker.ask_replies(question)
        nothing_new = not (result.messages or result.problems)
        if nothing_new and question.known and result.cursor == question.cursor:
            return  # nothing to record: no writer to wait for
        with self.writer.session() as session:
            tracker.record_replies(session, question, result, now)
            session.commit()

    # -- the calendar's answer ------------------------------------------------------------

    def _record_calendar(
        self,
        changes: CalendarChanges,
        account: Account,
        session: Session,
        window: tuple[datetime, datetime],
        now: datetime,
    ) -> None:
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


def nothing_new(changes: CalendarChanges) -> bool:
    """Whether a calendar's answer changes nothing in the store but maybe its cursor: no
    event, none removed, no problem, and not a complete read (whose silence deletes the
    window)."""
    return not (changes.events or changes.removed or changes.problems or changes.complete)
