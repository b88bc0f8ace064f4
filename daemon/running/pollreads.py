"""What one account's poll reads of the store before it asks anything, in one transaction.

Each step of a poll (:mod:`daemon.running.polling`) starts from a read: the calendar's cursor,
the drafts waiting for the user, whom the user's sent mail is looked at for, who may reply and
from which mail cursor. Read step by step, that is four short transactions per account and
poll; a thousand accounts polled every few minutes spent about a fifth of an unchanged cycle's
CPU opening and closing them (issue 14). Most polls write nothing, so what each step needs is
read together, once, in one short transaction; a step that wrote makes the next step read
again, since what it recorded (a draft found sent, an interview moved) may change the answer.

Nothing is held open while the servers are asked: the read ends before the calendar's
request. Reading a little earlier than a step would have is safe, as it always was between a
step's read and its write: the writing session reads again what it changes.

A poll cycle goes further (:class:`CycleReads`): the same questions for all its accounts in four
queries, before their polls begin. Asked by each account's thread, the same reads cost about
ten times their single-threaded CPU (SQLite's calls hand the GIL over, to one of 32 threads
that want it); read together, an account's share is a fraction of a millisecond. An account's
share is used by its poll unless a unit of that account ran first (a draft made meanwhile:
:meth:`CycleReads.forget`); a share that could not be read is read by the poll itself.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Row, bindparam, select
from sqlalchemy.orm import Session, sessionmaker

from daemon.replies import (
    REPLY_QUESTIONS,
    WAITING_DRAFTS_OF,
    ReplyQuestion,
    ReplyTracker,
    WaitingDraft,
)
from daemon.running.sentwatch import SENT_QUESTIONS, SentQuestion, SentWatch
from daemon.store import repository as repo
from daemon.store.models import SyncCursor

log = logging.getLogger(__name__)

# Accounts per query of a cycle's read: well inside every database's limit on parameters.
CHUNK = 500
_CURSORS = select(SyncCursor.account, SyncCursor.kind, SyncCursor.value).where(
    SyncCursor.account.in_(bindparam("accounts", expanding=True))
)


class Questions(NamedTuple):
    """What the steps after the calendar ask the mailbox."""

    waiting: list[WaitingDraft]
    sent: SentQuestion | None
    replies: ReplyQuestion | None


@dataclass
class Share:
    """One account's rows of a cycle's read (each row starts with the account's name)."""

    cursors: dict[str, str | None] = field(default_factory=dict)  # by kind
    drafts: list[Row[Any]] = field(default_factory=list)
    sent: list[Row[Any]] = field(default_factory=list)
    replies: list[Row[Any]] = field(default_factory=list)


class CycleReads:
    """The shares of the cycles under way, kept until each account's poll takes its own."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        self._lock = threading.Lock()
        self._shares: dict[str, Share] = {}

    def read(self, accounts: Sequence[str], now: datetime) -> None:
        """Read the shares of ``accounts`` (a cycle about to poll them). Any failure (the
        database's, or a row that cannot be read) leaves them unread: each poll reads its own,
        and meets the failure as its own."""
        shares = {name: Share() for name in accounts}
        with self._lock:  # an older cycle's share never stands in for this one's
            for name in accounts:
                self._shares.pop(name, None)
        try:
            with self.sessions() as session:
                for start in range(0, len(accounts), CHUNK):
                    chunk = {"accounts": list(accounts[start : start + CHUNK]), "now": now}
                    for name, kind, value in session.execute(_CURSORS, chunk):
                        shares[name].cursors[kind] = value
                    for kind, statement in (
                        ("drafts", WAITING_DRAFTS_OF),
                        ("sent", SENT_QUESTIONS),
                        ("replies", REPLY_QUESTIONS),
                    ):
                        for row in session.execute(statement, chunk):
                            getattr(shares[row[0]], kind).append(row)
        except Exception as err:  # noqa: BLE001 - an optimisation: the polls read for themselves
            log.info("the poll cycle's shared read failed (%s); each account reads its own", err)
            return
        with self._lock:
            self._shares.update(shares)

    def take(self, account: str) -> Share | None:
        """The account's share, once: its poll uses it."""
        with self._lock:
            return self._shares.pop(account, None)

    def forget(self, account: str) -> None:
        """Another unit of the account runs (a draft): its share may be out of date."""
        with self._lock:
            self._shares.pop(account, None)


class PollReads:
    """The store's answers one poll starts from; read on first use, again after :meth:`wrote`."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        tracker: ReplyTracker,
        watch: SentWatch,
        now: datetime,
        share: Share | None = None,
    ) -> None:
        self.sessions = sessions
        self.tracker = tracker
        self.watch = watch
        self.now = now
        self._share = share  # the cycle's read of this account, if it was made
        self._questions: Questions | None = None

    def calendar_cursor(self) -> str | None:
        """The calendar's stored cursor, read with the later steps' questions. A first sync
        (no cursor) will write, so the later steps are not read yet: they would be read again."""
        share, self._share = self._share, None
        if share is not None:
            cursor = share.cursors.get("calendar")
            if cursor is not None:
                self._questions = Questions(
                    self.tracker.drafts_from(share.drafts),
                    self.watch.question_from(share.sent),
                    self.tracker.question_from(share.replies, share.cursors.get("mail")),
                )
            return cursor
        with self.sessions() as session:
            cursor = repo.get_cursor(session, self.tracker.account.name, "calendar")
            if cursor is not None:
                self._questions = self._read_questions(session)
        return cursor

    def waiting_drafts(self) -> list[WaitingDraft]:
        return self._read().waiting

    def sent_question(self) -> SentQuestion | None:
        return self._read().sent

    def reply_question(self) -> ReplyQuestion | None:
        return self._read().replies

    def wrote(self) -> None:
        """A step recorded something: what the next step reads is read again."""
        self._questions = None

    def _read(self) -> Questions:
        if self._questions is None:
            with self.sessions() as session:
                self._questions = self._read_questions(session)
        return self._questions

    def _read_questions(self, session: Session) -> Questions:
        return Questions(
            self.tracker.waiting_drafts(session),
            self.watch.question(session, self.now),
            self.tracker.reply_question(session, self.now),
        )
