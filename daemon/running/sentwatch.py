"""Find what the user sent about an interview themselves, so a waiting inquiry can start.

A first status inquiry waits for something the user really sent to the company
(:mod:`daemon.planning.basis`). Our thank-you, once sent, is learnt from the draft's state;
a message the user wrote in any other client is learnt here: while (and only while) an
inquiry waits, the mailbox is asked for the user's sent messages to the interview's people
and the company's domains since the earliest waiting interview began
(:meth:`daemon.protocols.Mailbox.sent_since`, headers only). The first such message sent
after an interview began is recorded on it (``interviews.own_message``) by the core, never
by a connector, and the inquiry's clock starts at its send time.

Recording is idempotent (an interview keeps the first message found), so a crash or a
retry only repeats the question; nothing here creates a draft.

Cost (issue 14): the question is read with plain column queries, and the answer is recorded
(a writing session, every waiting inquiry loaded again) only when one of its messages could
start one of the inquiries the question was about. Most polls find nothing new, and a thousand
accounts polled a few minutes apart must not each pay for loading their interviews twice.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, bindparam, exists, select
from sqlalchemy.orm import Session, aliased, selectinload

from daemon.config import Account, Config
from daemon.output.times import short, zoned
from daemon.planning.basis import first_basis, is_waiting, own_basis, own_record
from daemon.planning.followups import FollowUpPlanner
from daemon.protocols import Mailbox, SentMessage, SentMessages, watched
from daemon.replies import ONE_ACCOUNT, SOME_ACCOUNTS, interviews_and_people
from daemon.store.models import FollowUp, Interview, Kind, State
from daemon.store.repository import record_problems

log = logging.getLogger(__name__)

# Built once, with the account and the time as parameters: every poll of every account asks
# it (building the statement, and its table aliases above all, cost more than running it).
_THANKS = aliased(FollowUp, name="thanks")
_FIRST = aliased(FollowUp, name="first_inquiry")


def _sent_question(whose: ColumnElement[bool]) -> Select[Any]:
    columns = (Interview.id, Interview.start_at, Interview.organizer, Interview.own_message)
    return interviews_and_people(*columns).where(
        whose,
        Interview.status == "active",
        Interview.start_at <= bindparam("now"),
        exists().where(
            _FIRST.interview_id == Interview.id,
            _FIRST.kind == Kind.STATUS_INQUIRY,
            _FIRST.seq == 1,
            _FIRST.state == State.SCHEDULED,
        ),
        ~exists().where(
            _THANKS.interview_id == Interview.id,
            _THANKS.kind == Kind.THANK_YOU,
            _THANKS.sent_at.is_not(None),
            _THANKS.sent_message_id.is_not(None),
            _THANKS.sent_message_id != "",
        ),
    )


# Each row starts with its interview's account (daemon/replies.py says why two).
SENT_QUESTION = _sent_question(ONE_ACCOUNT)
SENT_QUESTIONS = _sent_question(SOME_ACCOUNTS)


@dataclass(frozen=True)
class Awaited:
    """A begun interview whose first inquiry waits: what a sent message needs to start it."""

    start_at: datetime
    people: tuple[str, ...]  # its interviewers and organizer
    domains: tuple[str, ...]  # its company's


@dataclass(frozen=True)
class SentQuestion:
    """Sent messages to whom, since when; and the interviews it is asked for."""

    since: datetime
    people: list[str]
    domains: list[str]
    awaited: tuple[Awaited, ...] = ()


def recipients_for(
    message: SentMessage,
    start_at: datetime,
    people: Sequence[str],
    domains: Sequence[str],
    own: Collection[str],
) -> list[str]:
    """Whom of an interview's people or company ``message`` went to, when it can start that
    interview's inquiry (sent after it began, with a Message-ID to reply to); else none."""
    if message.sent_at < start_at or not message.message_id:
        return []
    return [r for r in message.recipients if r not in own and watched(r, people, domains)]


class SentWatch:
    def __init__(self, config: Config, account: Account, mailbox: Mailbox) -> None:
        self.config = config
        self.account = account
        self.mailbox = mailbox
        self.planner = FollowUpPlanner(config, account)

    def waiting(self, session: Session, now: datetime) -> list[FollowUp]:
        """First inquiries of this account's begun interviews that wait for a sent message."""
        candidates = session.scalars(
            select(FollowUp)
            .join(Interview, FollowUp.interview_id == Interview.id)
            .where(
                Interview.account == self.account.name,
                Interview.status == "active",
                Interview.start_at <= now,
                FollowUp.kind == Kind.STATUS_INQUIRY,
                FollowUp.seq == 1,
                FollowUp.state == State.SCHEDULED,
            )
            .options(
                selectinload(FollowUp.interview).selectinload(Interview.followups),
                selectinload(FollowUp.interview).selectinload(Interview.interviewers),
                selectinload(FollowUp.interview).selectinload(Interview.process),
            )
        ).all()
        return [fu for fu in candidates if is_waiting(fu)]

    def question(self, session: Session, now: datetime) -> SentQuestion | None:
        """What to ask the mailbox, or None: the usual poll asks it nothing at all.

        The interviews whose first inquiry waits, as :func:`is_waiting` says, in one query of
        plain columns: no thank-you of theirs sent, and no readable message of the user's own
        recorded on them."""
        rows = session.execute(SENT_QUESTION, {"account": self.account.name, "now": now})
        return self.question_from(rows)

    @staticmethod
    def question_from(rows: Iterable[Row[Any]]) -> SentQuestion | None:
        """The question in rows of :data:`SENT_QUESTION` (or ``SENT_QUESTIONS``'s rows of one
        account)."""
        interviews: dict[int, tuple[datetime, set[str], tuple[str, ...]]] = {}
        based: set[int] = set()  # the user's own message is their basis: not waiting
        for _, ident, start_at, organizer, own_message, domains, email in rows:
            if ident in based:
                continue
            if ident not in interviews:
                if own_message is not None and own_basis(own_message) is not None:
                    based.add(ident)
                    continue
                people = {organizer} if organizer else set()
                interviews[ident] = (start_at, people, tuple(domains or ()))
            if email:
                interviews[ident][1].add(email)
        if not interviews:
            return None
        awaited = tuple(
            Awaited(start_at, tuple(sorted(people)), domains)
            for start_at, people, domains in interviews.values()
        )
        return SentQuestion(
            since=min(a.start_at for a in awaited),
            people=sorted({p for a in awaited for p in a.people}),
            domains=sorted({d for a in awaited for d in a.domains}),
            awaited=awaited,
        )

    def worth_recording(self, question: SentQuestion, result: SentMessages) -> bool:
        """Whether the answer may change anything: a problem to record, or a message that can
        start one of the inquiries asked about. Most answers hold neither (the messages found
        were recorded before, or are about nothing waiting), and need no writing session."""
        own = {a.lower() for a in self.account.addresses}
        return bool(result.problems) or any(
            recipients_for(m, a.start_at, a.people, a.domains, own)
            for m in result.messages
            for a in question.awaited
        )

    def ask(self, question: SentQuestion) -> SentMessages:
        """The user's sent messages the question is about; no database here."""
        return self.mailbox.sent_since(question.since, question.people, question.domains)

    def record(self, session: Session, result: SentMessages, now: datetime) -> None:
        """Record what was found on the inquiries that still wait now."""
        record_problems(session, self.account.name, "mail", result.problems, now)
        if not result.messages:
            return  # problems only: no inquiry to start
        earliest_first = sorted(result.messages, key=lambda m: m.sent_at)
        for fu in self.waiting(session, now):
            self._record(session, fu, earliest_first, now)

    def _record(
        self, session: Session, fu: FollowUp, messages: list[SentMessage], now: datetime
    ) -> None:
        interview = fu.interview
        people = [p.email for p in interview.interviewers]
        if interview.organizer:
            people.append(interview.organizer)
        domains = list(interview.process.domains or [])
        own = {a.lower() for a in self.account.addresses}
        for message in messages:
            to = recipients_for(message, interview.start_at, people, domains, own)
            if not to:
                continue
            # The inquiry goes to whom the user wrote: its contact when among the recipients,
            # else an interviewer, else the first company address.
            chosen = next(
                (r for r in to if r == fu.interviewer.email),
                next((r for r in to if r in people), to[0]),
            )
            name = dict(message.names).get(chosen)
            interview.own_message = own_record(message, chosen, name, now)
            interview.updated_at = now
            if first_basis(interview, fu.interviewer) is None:
                return  # an unreadable record cannot start anything; logged by own_basis
            # Found late (the daemon was down, the message is old): due now, not "too late".
            fu.due_at = max(self.planner.due_time(session, interview, fu), now)
            tz = self.config.daemon.timezone
            fu.reason = (
                f"you wrote to {chosen} on {short(message.sent_at, tz)} "
                f"({message.subject[:80]!r}); due {short(fu.due_at, tz)}"
            )
            fu.updated_at = now
            log.info(
                "interview %s: your message to %s starts the status inquiry, due %s",
                interview.id,
                chosen,
                zoned(fu.due_at, tz),
            )
            return
