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
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from daemon.replies import ReplyQuestion, ReplyTracker, WaitingDraft
from daemon.running.sentwatch import SentQuestion, SentWatch
from daemon.store import repository as repo


class PollReads:
    """The store's answers one poll starts from; read on first use, again after :meth:`wrote`."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        tracker: ReplyTracker,
        watch: SentWatch,
        now: datetime,
    ) -> None:
        self.sessions = sessions
        self.tracker = tracker
        self.watch = watch
        self.now = now
        self._calendar_cursor: str | None = None
        self._steps: tuple[list[WaitingDraft], SentQuestion | None, ReplyQuestion | None] | None
        self._steps = None

    def calendar_cursor(self) -> str | None:
        """The calendar's stored cursor, read with the later steps' questions. A first sync
        (no cursor) will write, so the later steps are not read yet: they would be read again."""
        with self.sessions() as session:
            account = self.tracker.account.name
            self._calendar_cursor = repo.get_cursor(session, account, "calendar")
            if self._calendar_cursor is not None:
                self._steps = self._read_steps(session)
        return self._calendar_cursor

    def waiting_drafts(self) -> list[WaitingDraft]:
        return self._read()[0]

    def sent_question(self) -> SentQuestion | None:
        return self._read()[1]

    def reply_question(self) -> ReplyQuestion | None:
        return self._read()[2]

    def wrote(self) -> None:
        """A step recorded something: what the next step reads is read again."""
        self._steps = None

    def _read(self) -> tuple[list[WaitingDraft], SentQuestion | None, ReplyQuestion | None]:
        if self._steps is None:
            with self.sessions() as session:
                self._steps = self._read_steps(session)
        return self._steps

    def _read_steps(
        self, session: Session
    ) -> tuple[list[WaitingDraft], SentQuestion | None, ReplyQuestion | None]:
        return (
            self.tracker.waiting_drafts(session),
            self.watch.question(session, self.now),
            self.tracker.reply_question(session, self.now),
        )
